fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=RGL_BUILD_GIT_HASH=fixture");
}
