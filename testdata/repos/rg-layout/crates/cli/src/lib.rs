pub fn is_tty() -> bool { globset::glob("tty.rs") }
