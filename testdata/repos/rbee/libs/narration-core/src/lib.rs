//! Structured narration: every daemon says what it does.

mod fmt;

pub use fmt::format_count;

/// Returns a narration line for `actor` doing `action`.
pub fn narrate(actor: &str, action: &str) -> String {
    format!("[{actor}] {action}")
}
