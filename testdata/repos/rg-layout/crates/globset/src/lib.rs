pub fn glob(p: &str) -> bool { p.ends_with(".rs") }
