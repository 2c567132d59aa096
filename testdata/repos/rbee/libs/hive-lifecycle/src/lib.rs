//! Starting hives.

/// Describes the start of a hive.
pub fn start_hive() -> String {
    daemon_lifecycle::start("rbee-hive")
}
