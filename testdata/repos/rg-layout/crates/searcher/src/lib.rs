pub fn search(h: &str) -> bool { grep_matcher::is_match(h, "x") }
