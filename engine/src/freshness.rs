//! Is a binary fresh? Comparing a build record with the world as it is now.
//!
//! A binary is fresh when none of its inputs differ in content from what its record says:
//! the files that changed since the recorded commit (corrected by the dirty snapshot taken when
//! the build started), mapped through the path rules; the lock entries it reaches; the
//! toolchain; the environment cargo reads; and the binary file itself. Everything else (no
//! record, a record that does not parse, a commit the repository no longer has) is stale, with
//! the reason, because a fast wrong "fresh" is worse than a rebuild.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use gix::ObjectId;
use rbee_graph_model::path::{join, normalize, relative_to};
use rbee_graph_model::{Binary, DepKind, Lockfile, Node, WorkspaceGraph};

use crate::error::Result;
use crate::profile::Profile;
use crate::record::{Record, RecordStore, Unusable};
use crate::repo::Repo;
use crate::rules::{self, Change, Mode, PathRules, Reason, ReasonKind};
use crate::snapshot::Worktree;
use crate::stamp::Stamp;

/// Why a binary is stale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaleReason {
    /// It was never built by rbee-graph (or `cargo clean` forgot it).
    NoRecord,
    /// Its record does not parse.
    CorruptRecord(String),
    /// Its record was written by a newer rbee-graph.
    FutureRecord(u32),
    /// The binary file is gone.
    ExecutableMissing(PathBuf),
    /// The binary file is not the one that was built (another build, a copy, ...).
    ExecutableReplaced(PathBuf),
    /// The recorded commit is not in the repository (shallow clone, gc).
    CommitMissing(String),
    /// `rustc -vV` says something else than at the build.
    ToolchainChanged,
    /// An environment variable cargo reads (or the user's cargo config) changed.
    EnvironmentChanged(String),
    /// An input file or lock entry changed.
    Input(Reason),
    /// The user asked for a rebuild.
    Forced,
}

impl StaleReason {
    /// A one-line explanation, for people.
    pub fn describe(&self) -> String {
        match self {
            StaleReason::NoRecord => "never built by rbee-graph".to_owned(),
            StaleReason::CorruptRecord(e) => format!("its build record is unreadable ({e})"),
            StaleReason::FutureRecord(v) => {
                format!("its build record has format {v}, newer than this rbee-graph understands")
            }
            StaleReason::ExecutableMissing(p) => format!("{} is missing", p.display()),
            StaleReason::ExecutableReplaced(p) => {
                format!("{} was replaced since rbee-graph built it", p.display())
            }
            StaleReason::CommitMissing(c) => {
                format!("the recorded commit {c} is not in the repository (shallow clone or gc)")
            }
            StaleReason::ToolchainChanged => "the toolchain (rustc -vV) changed".to_owned(),
            StaleReason::EnvironmentChanged(var) => format!("{var} changed"),
            StaleReason::Input(reason) => rules::describe(reason),
            StaleReason::Forced => "rebuild forced".to_owned(),
        }
    }
}

impl StaleReason {
    /// The reason in the shape `affected` reports: input changes as they are, everything else
    /// as a `record` reason with a detail.
    pub fn to_reason(&self) -> Reason {
        match self {
            StaleReason::Input(reason) => reason.clone(),
            other => Reason {
                kind: ReasonKind::Record,
                path: None,
                package: None,
                chain: Vec::new(),
                detail: Some(other.describe()),
            },
        }
    }
}

/// The verdict for one binary.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The binary.
    pub binary: Binary,
    /// Its record, when one could be read.
    pub record: Option<Record>,
    /// Empty when fresh.
    pub reasons: Vec<StaleReason>,
    /// Files whose content changed since the record, for the binary: the build makes sure
    /// cargo sees them as changed, whatever their mtime says.
    pub changed_files: Vec<String>,
}

impl Verdict {
    /// Whether nothing changed.
    pub fn is_fresh(&self) -> bool {
        self.reasons.is_empty()
    }

    /// Whether [`Self::changed_files`] is the whole story of what changed since cargo built
    /// this binary. It is not when there is no usable record, when the recorded commit is gone,
    /// or when the binary was replaced (another cargo run, in this worktree or another one
    /// sharing the target directory, built it from sources the record does not describe).
    pub fn knows_what_changed(&self) -> bool {
        self.record.is_some()
            && !self.reasons.iter().any(|r| {
                matches!(
                    r,
                    StaleReason::CommitMissing(_)
                        | StaleReason::Forced
                        | StaleReason::ExecutableMissing(_)
                        | StaleReason::ExecutableReplaced(_)
                )
            })
    }
}

/// Checks binaries of one workspace against their records, sharing the work between them
/// (one status walk per recorded commit, one hash per file).
pub struct Checker<'w> {
    worktree: &'w Worktree,
    profile: Profile,
    store: RecordStore,
    toolchain: String,
    triple: String,
    environment: BTreeMap<String, String>,
    rules: PathRules,
    lock_path: String,
    changed_since: HashMap<ObjectId, Option<BTreeSet<String>>>,
    /// Records read ahead by [`Self::limit_to`].
    records: HashMap<Binary, Result<Record, Unusable>>,
    /// What the status walks look at; empty means the whole repository.
    scope: Vec<String>,
    hashes: HashMap<String, Option<String>>,
    /// Give a reason per changed path, not per kind and package (see [`Self::every_path`]).
    every_path: bool,
}

impl<'w> Checker<'w> {
    /// Prepares to check binaries of `worktree` built with `profile`.
    pub fn new(worktree: &'w Worktree, profile: &Profile) -> Result<Checker<'w>> {
        let toolchain =
            crate::toolchain::rustc_version(&worktree.workspace_root, &worktree.state_dir())?;
        let triple = crate::toolchain::host_triple(&toolchain).to_owned();
        let graph = &worktree.snapshot.graph;
        let root = graph.workspace_root();
        Ok(Checker {
            worktree,
            profile: profile.clone(),
            store: RecordStore::new(&worktree.state_dir()),
            triple,
            toolchain,
            environment: crate::toolchain::build_environment(),
            rules: PathRules::new(root, &worktree.snapshot.config)?
                .ignoring_outputs(worktree.target_dir_in_repo()),
            lock_path: join(root, "Cargo.lock"),
            changed_since: HashMap::new(),
            records: HashMap::new(),
            scope: Vec::new(),
            hashes: HashMap::new(),
            every_path: false,
        })
    }

    /// Makes [`Self::check`] give one reason per changed path that reaches the binary (see
    /// [`rules::reasons_for`]) instead of one per kind and package: what `explain` shows. The
    /// verdict itself is the same either way.
    pub fn every_path(&mut self) {
        self.every_path = true;
    }

    /// The record store.
    pub fn store(&self) -> &RecordStore {
        &self.store
    }

    /// The target triple builds are for.
    pub fn triple(&self) -> &str {
        &self.triple
    }

    /// `rustc -vV`.
    pub fn toolchain(&self) -> &str {
        &self.toolchain
    }

    /// The environment inputs now.
    pub fn environment(&self) -> &BTreeMap<String, String> {
        &self.environment
    }

    /// Limits the status walks to what can matter for `binaries` (which are then the only ones
    /// to check): the directories of the packages they reach, the files every build reads,
    /// the lock file, and the files outside every package their dep-info says they read.
    /// Without dep-info for one of them (or with `global`/`owners` globs configured) any file
    /// of the repository may matter, and nothing is limited.
    pub fn limit_to(&mut self, binaries: &[Binary]) {
        let mut scopes = Vec::new();
        for binary in binaries {
            let record = self.store.read(binary, &self.profile, &self.triple);
            let reads = record
                .as_ref()
                .ok()
                .and_then(|r| r.reads_outside_packages.as_deref());
            scopes.push(scope_for(&self.worktree.snapshot, binary, reads));
            self.records.insert(binary.clone(), record);
        }
        self.scope = if scopes.iter().any(Vec::is_empty) {
            Vec::new()
        } else {
            scopes
                .into_iter()
                .flatten()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
    }

    /// Decides whether `binary` is fresh.
    pub fn check(&mut self, binary: &Binary) -> Result<Verdict> {
        let mut verdict = Verdict {
            binary: binary.clone(),
            record: None,
            reasons: Vec::new(),
            changed_files: Vec::new(),
        };
        let read = match self.records.remove(binary) {
            Some(read) => read,
            None => self.store.read(binary, &self.profile, &self.triple),
        };
        let record = match read {
            Ok(record) => record,
            Err(unusable) => {
                verdict.reasons.push(match unusable {
                    Unusable::Missing => StaleReason::NoRecord,
                    Unusable::Corrupt(e) => StaleReason::CorruptRecord(e),
                    Unusable::FutureSchema(v) => StaleReason::FutureRecord(v),
                });
                return Ok(verdict);
            }
        };
        let now = Stamp::of(&record.executable);
        if !now.exists {
            verdict
                .reasons
                .push(StaleReason::ExecutableMissing(record.executable.clone()));
        } else if now != record.executable_stamp {
            verdict
                .reasons
                .push(StaleReason::ExecutableReplaced(record.executable.clone()));
        }
        if record.toolchain != self.toolchain {
            verdict.reasons.push(StaleReason::ToolchainChanged);
        }
        if let Some(var) = first_difference(&record.environment, &self.environment) {
            verdict.reasons.push(StaleReason::EnvironmentChanged(var));
        } else if let Some(var) = changed_env_dep(&record.env_deps) {
            verdict.reasons.push(StaleReason::EnvironmentChanged(var));
        }
        match self.changed_inputs(&record)? {
            None => verdict
                .reasons
                .push(StaleReason::CommitMissing(record.commit.clone())),
            Some(changed) => {
                let reasons = self.input_reasons(binary, &record, &changed)?;
                if !reasons.is_empty() {
                    verdict.changed_files = changed.into_iter().collect();
                }
                verdict
                    .reasons
                    .extend(reasons.into_iter().map(StaleReason::Input));
            }
        }
        verdict.record = Some(record);
        Ok(verdict)
    }

    fn repo(&self) -> &Repo {
        &self.worktree.repo
    }

    /// Paths whose content now differs from what the build saw: changed since the recorded
    /// commit (not counting those that were already dirty in the same way at the build), and
    /// paths that were dirty at the build and are now different again (reverted included).
    /// `None` when the recorded commit is not in the repository.
    fn changed_inputs(&mut self, record: &Record) -> Result<Option<BTreeSet<String>>> {
        let Ok(commit) = ObjectId::from_hex(record.commit.as_bytes()) else {
            return Ok(None);
        };
        if !self.changed_since.contains_key(&commit) {
            let changed = if self.repo().has_commit(commit) {
                let _phase = crate::progress::phase("comparing the working tree with the builds");
                Some(self.repo().changed_in_worktree_under(commit, &self.scope)?)
            } else {
                None
            };
            self.changed_since.insert(commit, changed);
        }
        let Some(since_commit) = self.changed_since[&commit].clone() else {
            return Ok(None);
        };
        let scope = self.scope.clone();
        let changed = changed_since_build(record, &since_commit, &scope, |path| {
            self.hash_on_disk(path)
        })?;
        Ok(Some(changed))
    }

    fn hash_on_disk(&mut self, path: &str) -> Result<Option<String>> {
        if let Some(hash) = self.hashes.get(path) {
            return Ok(hash.clone());
        }
        let hash = self.repo().hash_on_disk(path)?.map(|id| id.to_string());
        self.hashes.insert(path.to_owned(), hash.clone());
        Ok(hash)
    }

    /// Maps changed paths to reasons for `binary`: the path rules, the lock entries it reaches,
    /// and what its dep-info says it read outside every package.
    fn input_reasons(
        &self,
        binary: &Binary,
        record: &Record,
        changed: &BTreeSet<String>,
    ) -> Result<Vec<Reason>> {
        let graph = &self.worktree.snapshot.graph;
        let reads = record
            .reads_outside_packages
            .as_ref()
            .map(|r| r.iter().collect::<BTreeSet<_>>());
        let paths: BTreeSet<String> = changed
            .iter()
            .filter(|p| **p != self.lock_path)
            // With dep-info, an unowned file counts only if the binary read it.
            .filter(|p| match &reads {
                Some(reads) => reads.contains(p) || !self.rules.is_unowned(graph, p),
                None => true,
            })
            .cloned()
            .collect();
        let no_entries = BTreeSet::new();
        let change = Change {
            head: graph,
            base: None,
            paths: &paths,
            lock_entries: &no_entries,
            lock_path: &self.lock_path,
            spawns: &BTreeMap::new(),
        };
        let mut reasons: Vec<Reason> = if self.every_path {
            rules::reasons_for(&self.rules, &change, binary)?
        } else {
            rules::affected(&self.rules, &change, Mode::Binaries)?
                .binaries
                .into_iter()
                .find(|b| b.binary == *binary)
                .map(|b| b.reasons)
                .unwrap_or_default()
        };
        // Files it read that the rules do not tie to it (ignored, outside the workspace).
        if let Some(reads) = &reads {
            for path in changed.iter().filter(|p| reads.contains(p)) {
                if !reasons.iter().any(|r| r.path.as_deref() == Some(path)) {
                    reasons.push(Reason {
                        kind: ReasonKind::Unowned,
                        path: Some(path.clone()),
                        package: None,
                        chain: Vec::new(),
                        detail: None,
                    });
                }
            }
        }
        if changed.contains(&self.lock_path) {
            let now = lock_entries(graph, self.worktree.snapshot.lock.as_ref(), binary);
            let mut differing: BTreeSet<&str> = BTreeSet::new();
            for (key, value) in now.iter().chain(&record.lock_entries) {
                if now.get(key) != record.lock_entries.get(key) {
                    differing.insert(value.name.as_str());
                }
            }
            for name in differing {
                reasons.push(Reason {
                    kind: ReasonKind::Lockfile,
                    path: Some(self.lock_path.clone()),
                    package: Some(name.to_owned()),
                    chain: lock_chain(graph, name, binary),
                    detail: None,
                });
            }
        }
        Ok(reasons)
    }
}

/// The paths whose content differs from what the build of `record` saw: changed since the
/// recorded commit (`since_commit`, from a diff limited to `scope`; empty: everything) unless
/// they were already dirty in the same way at the build, and paths dirty at the build that
/// are different again (reverted included). `hash_now` gives a path's blob id on disk.
pub(crate) fn changed_since_build(
    record: &Record,
    since_commit: &BTreeSet<String>,
    scope: &[String],
    mut hash_now: impl FnMut(&str) -> Result<Option<String>>,
) -> Result<BTreeSet<String>> {
    let in_scope = |path: &str| {
        scope.is_empty()
            || scope
                .iter()
                .any(|dir| rbee_graph_model::path::is_within(path, dir))
    };
    let mut changed = BTreeSet::new();
    let dirty_in_scope = record.dirty.keys().filter(|p| in_scope(p));
    for path in since_commit.iter().chain(dirty_in_scope) {
        let differs = match (since_commit.contains(path), record.dirty.get(path)) {
            // Matches the commit now and matched it at the build.
            (false, None) => false,
            // Matches the commit now; differed from it at the build.
            (false, Some(_)) => true,
            // Differs from the commit now; matched it at the build.
            (true, None) => true,
            // Differs now and differed then: compare the contents. A name that is not UTF-8
            // cannot be looked up again (it was read lossily): whatever it holds now is
            // unknown, so it counts as changed.
            (true, Some(then)) => is_lossy(path) || hash_now(path)? != *then,
        };
        if differs {
            changed.insert(path.clone());
        }
    }
    Ok(changed)
}

/// The first variable the build read (`env!`, `option_env!`, `rerun-if-env-changed`) whose
/// value differs now.
pub(crate) fn changed_env_dep(env_deps: &BTreeMap<String, Option<String>>) -> Option<String> {
    env_deps
        .iter()
        .find(|(var, then)| std::env::var(var).ok() != **then)
        .map(|(var, _)| var.clone())
}

/// Whether `path` came from a file name that is not UTF-8 (and so cannot be found by it).
pub(crate) fn is_lossy(path: &str) -> bool {
    path.contains(char::REPLACEMENT_CHARACTER)
}

fn first_difference(
    then: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Option<String> {
    then.keys()
        .chain(now.keys())
        .find(|k| then.get(*k) != now.get(*k))
        .cloned()
}

/// Every `Cargo.lock` entry `binary` reaches through normal and build dependencies, keyed by
/// `name version source`: an entry that differs (or is new, or gone) changed the binary's
/// inputs.
pub fn lock_entries(
    graph: &WorkspaceGraph,
    lock: Option<&Lockfile>,
    binary: &Binary,
) -> BTreeMap<String, LockedEntry> {
    let (Some(package), Some(lock)) = (graph.package_by_name(&binary.package), lock) else {
        return BTreeMap::new();
    };
    graph
        .reachable(package, DepKind::reaches_binaries)
        .into_iter()
        .filter_map(|id| match graph.node(id) {
            Node::External(e) => Some(e),
            Node::Package(_) => None,
        })
        .map(|e| {
            let key = rbee_graph_model::LockKey {
                name: e.name.clone(),
                version: e.version.clone(),
                source: Some(e.source.clone()),
            };
            let entry = lock.get(&key);
            let dependencies = entry
                .map(|e| {
                    e.dependencies
                        .iter()
                        .map(|d| format!("{} {}", d.name, d.version))
                        .collect()
                })
                .unwrap_or_default();
            let locked = LockedEntry {
                name: e.name.clone(),
                checksum: entry.and_then(|e| e.checksum.clone()),
                dependencies,
            };
            (format!("{} {} {}", e.name, e.version, e.source), locked)
        })
        .collect()
}

/// Every repository path whose change can make `binary` stale, given the files outside its
/// packages that it read (`reads`, from dep-info): the directories of the packages it reaches,
/// the files every build reads, the lock file, and `reads`. Empty means the whole repository:
/// without dep-info any unowned file may matter, and so may any path `global` or `owners` globs
/// match, and a root package's directory is the whole workspace.
///
/// The scope is self-validating: whatever could widen it later (a new dependency, a moved
/// package, a new configuration) is a change to a manifest inside it.
pub fn scope_for(
    snapshot: &crate::snapshot::Snapshot,
    binary: &Binary,
    reads: Option<&[String]>,
) -> Vec<String> {
    let graph = &snapshot.graph;
    let config = &snapshot.config;
    let Some(reads) = reads else {
        return Vec::new();
    };
    if !config.global.is_empty() || !config.owners.is_empty() {
        return Vec::new();
    }
    let mut scope: BTreeSet<String> = reads.iter().cloned().collect();
    if let Some(package) = graph.package_by_name(&binary.package) {
        for id in graph.reachable(package, DepKind::reaches_binaries) {
            if let Node::Package(p) = graph.node(id) {
                match p.dir.as_deref() {
                    Some("") => return Vec::new(),
                    Some(dir) => {
                        scope.insert(dir.to_owned());
                    }
                    // Outside the repository: git cannot see it either way.
                    None => {}
                }
            }
        }
    }
    let root = graph.workspace_root();
    scope.insert(join(root, "Cargo.lock"));
    scope.insert(join(root, "Cargo.toml"));
    let mut dir = Some(root);
    while let Some(at) = dir {
        for name in [
            "rust-toolchain",
            "rust-toolchain.toml",
            ".cargo/config",
            ".cargo/config.toml",
        ] {
            scope.insert(join(at, name));
        }
        dir = (!at.is_empty()).then(|| at.rfind('/').map_or("", |slash| &at[..slash]));
    }
    scope.into_iter().collect()
}

/// What a record keeps of one lock entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockedEntry {
    /// The crate name.
    pub name: String,
    /// Its registry checksum.
    pub checksum: Option<String>,
    /// Its dependencies, as `name version`.
    pub dependencies: Vec<String>,
}

/// The chain from external crate `name` to `binary`'s package, when the lock file still has it.
fn lock_chain(graph: &WorkspaceGraph, name: &str, binary: &Binary) -> Vec<String> {
    let package = graph.package_by_name(&binary.package);
    // Any version of the crate that reaches the package will do for an explanation.
    let external = graph.externals_named(name).into_iter().find(|&id| {
        package.is_some_and(|p| graph.dependents(id, DepKind::reaches_binaries).contains(p))
    });
    match (external, package) {
        (Some(external), Some(package)) => graph
            .dependents(external, DepKind::reaches_binaries)
            .chain(package)
            .unwrap_or_default()
            .into_iter()
            .map(|id| graph.name(id).to_owned())
            .collect(),
        _ => vec![name.to_owned(), binary.package.clone()],
    }
}

/// Repository-relative paths of the files in `binary`'s dep-info list that lie outside the
/// packages it depends on (and inside the repository): the inputs the path rules alone would
/// ignore, attribute to everyone (unowned files), or attribute to a package it does not depend
/// on (`include_str!("../../other/data.txt")`). Files of the root package count as outside,
/// since the root package's directory holds everything.
pub fn reads_outside_packages(
    graph: &WorkspaceGraph,
    repo_root: &Path,
    binary: &Binary,
    files: &[PathBuf],
) -> Vec<String> {
    let reached: BTreeSet<rbee_graph_model::NodeId> = graph
        .package_by_name(&binary.package)
        .map(|id| {
            graph
                .reachable(id, DepKind::reaches_binaries)
                .into_iter()
                .collect()
        })
        .unwrap_or_default();
    let mut out: BTreeSet<String> = BTreeSet::new();
    for file in files {
        let Some(rel) = relative_to(&normalize(file), repo_root) else {
            continue;
        };
        let owned_by_its_own = graph
            .owner(&rel)
            .is_some_and(|id| reached.contains(&id) && !graph.is_root_package(id));
        if !owned_by_its_own {
            out.insert(rel);
        }
    }
    out.into_iter().collect()
}
