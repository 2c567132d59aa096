fn main() {
    println!("cargo:rustc-env=KINDS_CORE_GEN={}", kinds_gen::generated());
}
