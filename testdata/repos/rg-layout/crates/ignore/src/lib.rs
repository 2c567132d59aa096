pub fn walk() -> bool { globset::glob("lib.rs") }
