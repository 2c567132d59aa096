//! Starting hives.

/// Describes the start of a hive.
pub fn start_hive() -> String {
    daemon_lifecycle::start("rbee-hive")
}

/// Spawns a hive through the pre-spawn hook.
pub fn spawn_hive() -> bool {
    daemon_lifecycle::spawn_next("rbee-hive")
}
