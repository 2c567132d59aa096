pub fn run() -> String { tk_core::format(1) }
