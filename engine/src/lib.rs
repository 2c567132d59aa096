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
//! - [`explain()`] and [`why()`] tell the whole story behind an answer: every changed path
//!   with its chain for one binary, or the rule that classifies one path.
//! - Local mode: [`record`] keeps what a build saw, [`freshness`] compares it with now,
//!   [`plan`] builds the stale subset in one cargo run ([`run`]) under the [`lock`], and
//!   [`ensure()`] is the pre-spawn hook a daemon calls before spawning another.
//!
//! ```no_run
//! # async fn spawn_queen() -> rbee_graph_engine::Result<()> {
//! let options = rbee_graph_engine::EnsureOptions { binary: "queen-rbee".into(), ..Default::default() };
//! let path = rbee_graph_engine::ensure(&options).await?;
//! std::process::Command::new(path).spawn().expect("spawn queen-rbee");
//! # Ok(()) }
//! ```
//!
//! The engine never prints: it returns typed results and [`Error`]s whose messages are one
//! line each, and leaves rendering to the CLI. It logs through `tracing`.
#![warn(missing_docs)]

pub mod affected;
pub mod cargo_config;
mod cargo_output;
mod compiled;
pub mod config;
pub mod decide;
pub mod depinfo;
mod error;
pub mod explain;
mod flags;
pub mod freshness;
pub mod inputs;
pub mod lock;
mod metadata_cache;
pub mod plan;
pub mod profile;
mod progress;
mod quick;
pub mod record;
pub mod repo;
pub mod rules;
pub mod run;
pub mod select;
pub mod snapshot;
pub mod stamp;
pub mod toolchain;
#[cfg(feature = "watch")]
pub mod watch;
mod worktree_diff;

pub use affected::{AffectedOptions, AffectedReport, Head, affected, affected_since_build};
pub use cargo_output::CargoOutput;
pub use config::Unbuildable;
pub use error::{Error, Result};
pub use explain::{ExplainOptions, Explanation, PathExplanation, WhyOptions, explain, why};
pub use flags::{CargoFlags, FeatureRequest};
pub use plan::{
    BuildOptions, BuildOutcome, EnsureOptions, StatusOptions, build, build_blocking, ensure,
    ensure_blocking, status,
};
pub use profile::Profile;
