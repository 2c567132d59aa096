pub fn root() -> String {
    std::env::args().nth(1).unwrap_or_else(|| ".".to_owned())
}
