pub fn compat() -> &'static str { shim_sys::NAME }
