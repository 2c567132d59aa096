pub fn serve() -> String {
    #[cfg(feature = "ffi")]
    let _ = tk_ffi::tk_ffi_answer();
    format!("{}{}", runtime::format(8080), legacy_shim::compat())
}
