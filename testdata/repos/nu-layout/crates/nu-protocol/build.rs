fn main() {
    let mut buf = itoa::Buffer::new();
    println!("cargo:rustc-env=NU_PROTOCOL_ABI={}", buf.format(3u8));
}
