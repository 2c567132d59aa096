fn main() { let _ = globset::glob("fuzz.rs"); }
