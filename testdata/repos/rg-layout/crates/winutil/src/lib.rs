pub fn console_mode() -> u32 { 0 }
