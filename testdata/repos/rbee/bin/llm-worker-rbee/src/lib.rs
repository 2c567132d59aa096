//! The worker: runs one model.

include!(concat!(env!("OUT_DIR"), "/label.rs"));

cfg_if::cfg_if! {
    if #[cfg(unix)] {
        /// The platform the worker runs on.
        pub const PLATFORM: &str = "unix";
    } else {
        /// The platform the worker runs on.
        pub const PLATFORM: &str = "other";
    }
}

/// Describes the worker.
pub fn describe() -> String {
    narration_core::narrate("llm-worker-rbee", &format!("{LABEL} on {PLATFORM}"))
}
