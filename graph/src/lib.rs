//! The pure model of rbee-graph: which packages and binaries a Cargo workspace has, how they
//! depend on each other and on external crates, which package owns a path, and in what order
//! things must be built.
//!
//! This crate does no git, no file system and no process spawning. It is fed text that somebody else produced:
//! the JSON of `cargo metadata --format-version 1 --no-deps` and the contents of `Cargo.lock`.
//! The engine crate gathers those (from the disk or from any commit) and asks the questions.
//!
//! # A tour
//!
//! - [`WorkspaceGraph`] is the model. Build it with [`WorkspaceGraph::from_metadata_json`]. Its
//!   nodes are [`Package`]s (workspace members and the path packages they use) and
//!   [`ExternalPackage`]s (registry and git crates from the lock file). Edges point from a
//!   dependent to its dependency and carry a [`DepKind`]. A package's bins use its lib; that edge
//!   is implicit in [`Package::targets`].
//! - [`Lockfile`] parses `Cargo.lock`; [`Lockfile::changed_entries`] compares two of them.
//! - Paths are repository-relative strings with `/` separators ([`RepoPath`]), so the same graph
//!   answers for a checkout on disk and for a commit materialized somewhere else.
//! - [`WorkspaceGraph::owner`] says which package owns a path (the innermost one).
//! - [`WorkspaceGraph::dependents`] walks the reverse closure, remembering the chain of packages.
//! - [`WorkspaceGraph::build_order`] is the topological order, dependencies first, ties by name.
//! - [`WorkspaceGraph::spawn_pairs`] resolves the configured spawn edges (which binary starts
//!   which), and [`WorkspaceGraph::order_binaries`] puts a spawner before what it spawns.
//! - [`rules`] are the path rules: from changed paths and lock entries to affected binaries with
//!   typed reasons, and the configuration they read.
//!
//! The rbee fixture (`testdata/repos/rbee`), from the `cargo metadata` output committed in
//! `testdata/metadata/rbee.json`, whose workspace root is recorded as `/repo`:
//!
//! ```
//! use std::path::Path;
//!
//! use rbee_graph_model::{DepKind, Lockfile, PathRole, WorkspaceGraph};
//!
//! # fn main() -> Result<(), rbee_graph_model::Error> {
//! # let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata");
//! let metadata = std::fs::read_to_string(format!("{testdata}/metadata/rbee.json")).unwrap();
//! let lock = std::fs::read_to_string(format!("{testdata}/repos/rbee/Cargo.lock")).unwrap();
//! let lock = Lockfile::parse(&lock)?;
//! // The repository root: every path the graph hands out is relative to it.
//! let graph = WorkspaceGraph::from_metadata_json(&metadata, Some(&lock), Path::new("/repo"))?;
//!
//! // Which package owns a changed file, and what the file is to it.
//! let path = "libs/narration-core/src/fmt.rs";
//! let owner = graph.owner(path).expect("inside a package");
//! assert_eq!(graph.package(owner).name, "narration-core");
//! assert_eq!(graph.role_of(owner, path), PathRole::Package);
//! assert_eq!(graph.owner("shared/prompts.txt"), None); // outside every package
//!
//! // Who depends on it through normal and build edges, with the shortest chain to each.
//! let dependents = graph.dependents(owner, DepKind::reaches_binaries);
//! let queen = graph.package_by_name("queen-rbee").unwrap();
//! let chain = dependents.chain(queen).unwrap();
//! let chain: Vec<&str> = chain.into_iter().map(|id| graph.name(id)).collect();
//! assert_eq!(chain, ["narration-core", "queen-rbee"]);
//!
//! // The binaries a change to it reaches, in build order (dependencies first).
//! let reached: Vec<String> = graph
//!     .binaries()
//!     .filter(|(package, _)| dependents.contains(*package))
//!     .map(|(_, binary)| binary.name)
//!     .collect();
//! assert_eq!(
//!     reached,
//!     ["llm-worker-rbee", "queen-rbee", "hive-check", "hive-probe", "rbee-hive", "rbee-keeper"]
//! );
//!
//! // Every package in build order: each after what it depends on, ties by name.
//! let order: Vec<&str> = graph.build_order().map(|id| graph.name(id)).collect();
//! let at = |name: &str| order.iter().position(|n| *n == name).unwrap();
//! assert!(at("narration-core") < at("job-server") && at("job-server") < at("queen-rbee"));
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod closure;
mod edge;
mod error;
mod lockfile;
mod metadata;
mod order;
mod ownership;
mod package;
pub mod path;
pub mod rules;
mod spawns;
mod stored;
mod unify;
mod workspace;

pub use closure::Dependents;
pub use edge::DepKind;
pub use error::Error;
pub use lockfile::{LockEntry, LockKey, Lockfile};
pub use ownership::PathRole;
pub use package::{Binary, ExternalPackage, Package, Target, TargetKind};
pub use path::RepoPath;
pub use workspace::{Node, NodeId, PackageId, WorkspaceGraph};

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
