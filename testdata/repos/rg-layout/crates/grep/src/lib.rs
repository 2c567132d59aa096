pub fn search(pattern: &str) -> String {
    #[cfg(feature = "pcre2")]
    let _ = grep_pcre2::compile(pattern);
    let _ = grep_regex::compile(pattern) && grep_searcher::search(pattern);
    grep_printer::print(pattern)
}
