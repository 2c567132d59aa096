//! Structured narration: every daemon says what it does.

mod fmt;

pub use fmt::format_count;

/// Which edition of the narration code a daemon was built with; tests change it and check that
/// every daemon of the cascade runs the new code.
pub const MARK: &str = "v1";

/// A greeting fixed at compile time from the environment: a binary built with another
/// `RBEE_GREETING` is another binary (cargo rebuilds; so must rbee-graph).
pub const GREETING: Option<&str> = option_env!("RBEE_GREETING");

/// Keeps a daemon running when `rbee-graph watch` supervises it (`RBEE_GRAPH_SUPERVISED` is
/// set): the supervisor stops it with a signal. Otherwise returns at once.
pub fn stay_if_supervised() {
    if std::env::var_os("RBEE_GRAPH_SUPERVISED").is_some() {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// Returns a narration line for `actor` doing `action`.
pub fn narrate(actor: &str, action: &str) -> String {
    format!("[{actor}] {action}")
}
