pub fn is_match(h: &str, n: &str) -> bool { h.contains(n) }
