//! Starting and stopping daemons.

/// Describes the start of daemon `name`.
pub fn start(name: &str) -> String {
    narration_core::narrate(name, "start")
}
