//! The engine of rbee-graph: everything that touches the outside world.
//!
//! The [`rbee_graph_model`] crate knows what a workspace looks like and holds the pure
//! decisions (the path rules); this crate gathers the facts and runs the operations. Its
//! modules, private, point one way:
//!
//! - `ops`: the operations this crate exports. [`affected()`] for `rbee-graph affected --base
//!   REV` (CI mode); [`status()`], [`build()`] and [`ensure()`] in local mode (each binary
//!   against the record of its last build); [`explain()`] and [`why()`], the whole story behind
//!   an answer; [`doctor()`], [`read_maps()`] and [`workspace()`].
//! - `observe`: is a binary fresh? The full check and the pre-spawn fast path gather facts
//!   for one decision over a record.
//! - `records`: what each build read (the record format, its store, the lock, fingerprints of
//!   inputs, what a cargo run read, read maps).
//! - `cargo`: cargo's configuration and layout, `cargo metadata` at any revision, the
//!   toolchain, running builds.
//! - `git`: the repository through gix (never a `git` process): revisions, merge bases, what
//!   changed between two commits or between a commit and the working tree.
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

mod cargo;
mod error;
mod git;
mod observe;
mod ops;
mod progress;
mod records;
mod stamp;

#[cfg(test)]
mod fuzz;

pub use cargo::flags::{CargoFlags, FeatureRequest};
pub use cargo::output::CargoOutput;
pub use cargo::profile::Profile;
pub use cargo::snapshot::Snapshot;
pub use error::{Error, Result};
pub use git::commit_id::CommitId;
pub use observe::freshness::{StaleReason, Verdict};
pub use ops::affected::{
    AffectedOptions, AffectedReport, Head, IfBaseMissing, ReadMapUse, SinceBuild, affected,
    affected_since_build,
};
pub use ops::build::{BuildOptions, build, build_blocking};
pub use ops::doctor::{DoctorOptions, DoctorReport, FixtureDir, Group, doctor};
pub use ops::ensure::{EnsureOptions, ensure, ensure_blocking};
pub use ops::explain::{
    Against, ExplainOptions, Explanation, PathExplanation, WhyOptions, explain, why,
};
pub use ops::plan::BuildOutcome;
pub use ops::status::{StatusOptions, status};
#[cfg(feature = "watch")]
pub use ops::watch::{WatchEvent, WatchOptions, watch};
pub use ops::workspace::{read_maps, workspace};
pub use rbee_graph_model::rules::config::Unbuildable;
pub use records::read_map::{BinaryReads, ReadMaps};
