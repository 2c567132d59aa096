//! The worker: runs one model.

include!(concat!(env!("OUT_DIR"), "/label.rs"));

/// The system prompts, from a file outside every package: cargo's dep-info lists it, so
/// rbee-graph knows this binary reads it and the other daemons do not.
pub const PROMPTS: &str = include_str!("../../../shared/prompts.txt");

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
