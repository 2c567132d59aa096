//! Structured narration: every daemon says what it does.

mod fmt;

pub use fmt::format_count;

/// Which edition of the narration code a daemon was built with; tests change it and check that
/// every daemon of the cascade runs the new code.
pub const MARK: &str = "v1";

/// Returns a narration line for `actor` doing `action`.
pub fn narrate(actor: &str, action: &str) -> String {
    format!("[{actor}] {action}")
}
