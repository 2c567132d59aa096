//! Rendering: every format the CLI prints, one module per command. The engine never prints;
//! this is the only place that knows what the output looks like. Shared pieces: [`reasons`]
//! (every reason in words and as JSON), [`text`] (labels, counts, columns) and [`paint`]
//! (colour).

mod affected;
mod build;
mod doctor;
mod explain;
mod graph;
mod paint;
mod reasons;
mod status;
mod text;
mod watch;

pub use affected::{Answer, affected, reads};
pub use build::{build_json, build_summary, ensure_json};
pub use doctor::{doctor, doctor_json};
pub use explain::{explain, why};
pub use graph::graph;
pub use status::status;
pub use watch::watch_event;

/// The version of every JSON document the CLI prints.
const SCHEMA: u32 = 1;
