/// Formats a count without allocating through `std::fmt`.
pub fn format_count(n: u64) -> String {
    let mut buf = itoa::Buffer::new();
    buf.format(n).to_owned()
}
