fn main() {
    println!("cargo:rustc-env=KINDS_GEN={}", kinds_gen::generated());
}
