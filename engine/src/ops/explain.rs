//! `explain` and `why`: the whole story behind an answer, for people to read.
//!
//! [`explain()`] tells why one binary is stale (local mode, against its build record) or
//! affected (with a base revision): every changed path that reaches it with the chain of
//! packages from the changed one to the binary's, every changed lock entry, and whatever else
//! the record says (toolchain, environment, no record, ...). [`why()`] tells what one path is
//! to the workspace: which rule classifies it and which binaries a change to it reaches.
//!
//! Both reuse the rules of [`rbee_graph_model::rules`] and the freshness check of [`crate::observe::freshness`];
//! they decide nothing of their own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rbee_graph_model::Binary;

use crate::cargo::profile::Profile;
use crate::cargo::snapshot;
use crate::error::{Error, Result};
use crate::observe::freshness::{Checker, StaleReason};
use crate::ops::affected::{AffectedOptions, Comparison, Head};
use crate::ops::{select, status};
use crate::records::format::Record;
use rbee_graph_model::rules::{self, Affected, Change, Mode, PathClass, PathRules};

/// What `explain` should explain.
#[derive(Clone, Debug, Default)]
pub struct ExplainOptions {
    /// The workspace manifest; `None` finds it from the current directory.
    pub manifest_path: Option<PathBuf>,
    /// The binary.
    pub binary: String,
    /// The package holding it, when its name is not unique.
    pub package: Option<String>,
    /// With a base revision: why is it affected between `merge-base(base, head)` and the
    /// head? Without: why is it stale against its build record?
    pub base: Option<String>,
    /// The head revision (with `base` only); `None` is the working tree.
    pub head: Option<String>,
    /// The profile whose record counts (local mode); `None` is the configured one, else `dev`.
    pub profile: Option<Profile>,
    /// Cargo's flags: the features and target whose record counts (local mode).
    pub cargo: crate::CargoFlags,
}

/// What a binary was compared with.
#[derive(Clone, Debug)]
pub enum Against {
    /// Local mode: the binary's build record for `profile`, when one could be read.
    Record {
        /// The profile.
        profile: Profile,
        /// The record.
        record: Option<Box<Record>>,
    },
    /// Two revisions.
    Revisions {
        /// The merge base.
        base: crate::CommitId,
        /// The head.
        head: Head,
        /// How many paths changed between them.
        changed_paths: usize,
    },
}

/// Why one binary is stale or affected.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// The binary.
    pub binary: Binary,
    /// What it was compared with.
    pub against: Against,
    /// Every reason, the most direct first; empty when it is fresh (or not affected). Input
    /// reasons come one per changed path and lock entry. With a base revision, every reason is
    /// [`StaleReason::Input`].
    pub reasons: Vec<StaleReason>,
}

impl Explanation {
    /// Whether the binary must be rebuilt.
    pub fn is_affected(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// Explains why a binary is stale (or, with a base, affected).
///
/// # Errors
/// An unknown or ambiguous binary, an unknown revision, and whatever loading the workspace
/// or comparing revisions can fail at.
pub fn explain(options: &ExplainOptions) -> Result<Explanation> {
    match &options.base {
        Some(base) => {
            let comparison = Comparison::new(&AffectedOptions {
                reads: Vec::new(),
                no_read_maps: false,
                if_base_missing: Default::default(),
                manifest_path: options.manifest_path.clone(),
                base: base.clone(),
                head: options.head.clone(),
                mode: Mode::Binaries,
            })?;
            let binary = select::binary(
                &comparison.head_snapshot.graph,
                &options.binary,
                options.package.as_deref(),
            )?;
            let reasons = rules::reasons_for(&comparison.rules, &comparison.change(), &binary)?;
            Ok(Explanation {
                binary,
                against: Against::Revisions {
                    base: comparison.base.into(),
                    head: comparison.head.clone(),
                    changed_paths: comparison.paths.len(),
                },
                reasons: reasons.into_iter().map(StaleReason::Input).collect(),
            })
        }
        None => {
            let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
            let binary = select::binary(
                &worktree.snapshot.graph,
                &options.binary,
                options.package.as_deref(),
            )?;
            let profile = status::profile(&worktree, options.profile.as_ref());
            let mut checker = Checker::new(&worktree, &profile, &options.cargo)?;
            checker.every_path();
            let verdict = checker.check(&binary)?;
            Ok(Explanation {
                binary,
                against: Against::Record {
                    profile,
                    record: verdict.record.map(Box::new),
                },
                reasons: verdict.reasons,
            })
        }
    }
}

/// What `why` should look at.
#[derive(Clone, Debug, Default)]
pub struct WhyOptions {
    /// The workspace manifest; `None` finds it from the current directory.
    pub manifest_path: Option<PathBuf>,
    /// The path, relative to the current directory or absolute. It need not exist (a deleted
    /// file is classified like any other).
    pub path: PathBuf,
}

/// What a path is to the workspace.
#[derive(Clone, Debug)]
pub struct PathExplanation {
    /// The path, repository-relative.
    pub path: String,
    /// The rule that classifies it.
    pub class: PathClass,
    /// What a change to this path alone affects, with reasons and chains (as `affected
    /// --base` would say). Empty for ignored paths, test-only files and the lock file (whose
    /// changed entries, not its text, decide).
    pub affected: Affected,
}

/// Classifies one path with the path rules and says which binaries a change to it reaches.
///
/// # Errors
/// A path outside the repository, and whatever loading the workspace can fail at.
pub fn why(options: &WhyOptions) -> Result<PathExplanation> {
    let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
    let path = repository_relative(worktree.repo.workdir(), &options.path)?;
    let graph = &worktree.snapshot.graph;
    let root = graph.workspace_root();
    let rules = PathRules::new(root, &worktree.snapshot.config)?
        .ignoring_outputs(worktree.target_dir_in_repo());
    let class = rules.explain(graph, &path);
    let lock_path = rbee_graph_model::path::join(root, "Cargo.lock");
    let paths = BTreeSet::from([path.clone()]);
    let change = Change {
        reads: None,
        test_reads: None,
        declarations: None,
        head: graph,
        base: None,
        paths: &paths,
        lock_entries: &BTreeSet::new(),
        lock_path: &lock_path,
        spawns: &worktree.snapshot.config.spawns,
    };
    let affected = rules::affected(&rules, &change, Mode::Binaries)?;
    Ok(PathExplanation {
        path,
        class,
        affected,
    })
}

/// `path` (relative to the current directory, or absolute) relative to the repository's work
/// tree, with `/` separators. Symbolic links in the existing part of the path are resolved,
/// so `/tmp/x` and `/private/tmp/x` are the same place.
fn repository_relative(workdir: &Path, path: &Path) -> Result<String> {
    let cwd = std::env::current_dir().map_err(Error::io("."))?;
    let absolute = rbee_graph_model::path::normalize(&cwd.join(path));
    let workdir = canonical(workdir);
    let rel = rbee_graph_model::path::relative_to(&canonical(&absolute), &workdir)
        .filter(|rel| !rel.is_empty());
    rel.ok_or_else(|| Error::PathOutsideRepository {
        path: path.to_owned(),
        repository: workdir,
    })
}

/// `path` with its longest existing ancestor canonicalized and the rest appended.
fn canonical(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |acc, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return path.to_owned(),
        }
    }
}
