pub fn generated() -> &'static str {
    "generated"
}
