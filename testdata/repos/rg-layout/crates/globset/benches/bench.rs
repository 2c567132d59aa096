fn main() {
    assert!(globset::glob("a.rs"));
}
