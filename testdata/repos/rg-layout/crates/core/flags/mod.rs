pub fn parse() -> String {
    std::env::args().nth(1).unwrap_or_default()
}
