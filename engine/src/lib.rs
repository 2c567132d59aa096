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
//! - Local mode: [`record`] keeps what a build read, [`freshness`] compares it with now, and
//!   [`build()`], [`ensure()`] and [`status()`] are the operations: the stale subset built in
//!   as few cargo runs as the binaries' features allow, under a lock per target directory.
//!
//! # The pre-spawn hook
//!
//! A daemon about to spawn another asks for a fresh binary. [`ensure`] works on any async
//! runtime (tokio's `current_thread` without drivers included, or another executor): the
//! engine's synchronous work (git, hashing, cargo) runs on a thread of its own.
//! [`ensure_blocking`] is the same for synchronous code. Cargo's output goes where
//! [`CargoOutput`] says: inherited, line by line to a callback, or discarded; a failed build's
//! [`Error::BuildFailed`] carries the compiler's errors.
//!
//! ```
//! # let repo = rbee_graph_testdata::Repo::from_fixture("rbee");
//! # let manifest = repo.workspace().join("Cargo.toml");
//! use rbee_graph_engine::{CargoOutput, EnsureOptions, Profile};
//!
//! let options = EnsureOptions {
//!     manifest_path: Some(manifest),
//!     binary: "queen-rbee".into(),
//!     // Binaries built like this process (`Profile::current`), cargo's lines as narration.
//!     profile: Some(Profile::current()),
//!     output: CargoOutput::lines(|line| println!("[build] {line}")),
//!     ..EnsureOptions::default()
//! };
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let path = runtime.block_on(rbee_graph_engine::ensure(&options))?;
//! let status = std::process::Command::new(path).status().expect("spawn queen-rbee");
//! # let _ = status;
//! # Ok::<(), rbee_graph_engine::Error>(())
//! ```
//!
//! Embedding costs what gix costs: about 145 crates, about 100 CPU-seconds of a clean dev build. The `watch` feature (on by default; the
//! supervisor behind `rbee-graph watch`) adds notify and tokio's drivers; a daemon that only
//! calls `ensure` depends on this crate with `default-features = false`.
//!
//! The engine never prints: it returns typed results and [`Error`]s whose messages are one
//! line each, and leaves rendering to the CLI. It logs through `tracing`.
#![warn(missing_docs)]

pub mod affected;
mod cargo_config;
mod cargo_output;
mod commit_id;
mod compiled;
pub mod config;
mod decide;
pub mod depinfo;
pub mod doctor;
mod error;
pub mod explain;
mod flags;
pub mod freshness;
pub mod inputs;
mod lock;
mod metadata_cache;
mod plan;
mod profile;
mod progress;
mod quick;
pub mod read_map;
pub mod record;
pub mod repo;
pub mod rules;
mod run;
pub mod select;
pub mod snapshot;
pub mod stamp;
pub mod toolchain;
#[cfg(feature = "watch")]
pub mod watch;
mod worktree_diff;

pub use affected::{
    AffectedOptions, AffectedReport, Head, IfBaseMissing, ReadMapUse, affected,
    affected_since_build,
};
pub use cargo_output::CargoOutput;
pub use commit_id::CommitId;
pub use config::Unbuildable;
pub use error::{Error, Result};
pub use explain::{ExplainOptions, Explanation, PathExplanation, WhyOptions, explain, why};
pub use flags::{CargoFlags, FeatureRequest};
pub use plan::{
    BuildOptions, BuildOutcome, EnsureOptions, StatusOptions, build, build_blocking, ensure,
    ensure_blocking, status,
};
pub use profile::Profile;
