fn main() {
    println!("cargo:rustc-env=TK_CLI_PROBE={}", tk_sys::PROBE);
}
