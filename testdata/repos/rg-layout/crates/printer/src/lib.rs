pub fn print(line: &str) -> String {
    #[cfg(windows)]
    let _ = grep_winutil::console_mode();
    format!("{}:{line}", grep_matcher::is_match(line, ""))
}
