//! A member nested inside the root package's directory.

/// The name of this crate.
pub fn name() -> &'static str {
    "inner"
}
