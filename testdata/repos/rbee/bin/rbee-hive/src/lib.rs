//! The hive: runs workers on one machine.

/// Describes the start of a worker.
pub fn start_worker() -> String {
    daemon_lifecycle::start("llm-worker-rbee")
}
