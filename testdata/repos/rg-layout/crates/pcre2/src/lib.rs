pub fn compile(p: &str) -> bool { grep_matcher::is_match(p, "(") }
