//! The queen: schedules jobs onto hives.

/// Schedules job `id` and starts a hive for it.
pub fn schedule(id: u64) -> Vec<String> {
    vec![job_server::submit(id), hive_lifecycle::start_hive()]
}
