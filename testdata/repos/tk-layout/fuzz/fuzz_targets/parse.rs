fn main() { let _ = tk_core::format(7); }
