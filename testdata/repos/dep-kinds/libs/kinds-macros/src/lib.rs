pub fn base() -> u32 {
    1
}
