//! Helpers for tests only.

/// Panics unless `haystack` contains `needle`.
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{haystack:?} does not contain {needle:?}");
}
