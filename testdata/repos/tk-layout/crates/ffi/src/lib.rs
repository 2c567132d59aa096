#[no_mangle]
pub extern "C" fn tk_ffi_answer() -> u32 {
    tk_core::format(42).len() as u32
}
