//! The engine of rbee-graph: everything that touches the outside world.
//!
//! The [`rbee_graph_model`] crate knows what a workspace looks like; this crate finds out what
//! changed and what that means:
//!
//! - [`repo`] talks to git through gix (never a `git` process): revisions, merge bases, the
//!   paths that differ between two commits or between a commit and the working tree.
//! - [`snapshot`] loads the workspace at one end, from the disk or from any commit (by running
//!   `cargo metadata` on that commit's manifests, written to a temporary directory).
//! - [`config`] reads `[workspace.metadata.rbee-graph]`.
//! - [`rules`] is pure: the path rules of DESIGN.md, from changed paths and lock entries to
//!   affected packages and binaries, with reasons.
//! - [`affected()`] puts them together for `rbee-graph affected --base REV`.
//!
//! The engine never prints: it returns typed results and [`Error`]s whose messages are one
//! line each, and leaves rendering to the CLI. It logs through `tracing`.
#![warn(missing_docs)]

pub mod affected;
pub mod config;
mod error;
pub mod repo;
pub mod rules;
pub mod snapshot;

pub use affected::{AffectedOptions, AffectedReport, Head, affected};
pub use error::{Error, Result};
