// As the real worker's build script does: the CUDA and Metal backends need their toolkits.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CUDA_PATH");
    if std::env::var_os("CARGO_FEATURE_CUDA").is_some() && std::env::var_os("CUDA_PATH").is_none() {
        panic!("the cuda backend needs the CUDA toolkit: set CUDA_PATH");
    }
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if std::env::var_os("CARGO_FEATURE_METAL").is_some() && os != "macos" {
        panic!("the metal backend builds on macOS only");
    }
}
