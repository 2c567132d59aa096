//! Is a binary fresh? Comparing a build record with the world as it is now.
//!
//! A binary is fresh when nothing its build read differs in content from what its record says
//! (see the `decide` module): every input file cargo reported, the lock entries it reaches, the
//! toolchain, the environment, the binary file itself, and, for a package whose build script
//! names no `rerun-if-changed`, every file git sees in it. Everything else (no record, a
//! record that does not parse, a commit the repository no longer has) is stale, with the
//! reason, because a fast wrong "fresh" is worse than a rebuild. The path rules explain a
//! changed file (which package, through which chain); they never decide.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use gix::ObjectId;
use rbee_graph_model::path::join;
use rbee_graph_model::{Binary, DepKind, Lockfile, Node, WorkspaceGraph};

use crate::cargo::profile::Profile;
use crate::cargo::snapshot::Worktree;
use crate::error::Result;
use crate::git::repo::Repo;
use crate::observe::decide::{Dirty, Facts};
use crate::records::format::LockedEntry;
use crate::records::format::{Record, RecordStore, Unusable};
use crate::records::inputs::{Content, Input};
use rbee_graph_model::rules::{self, Change, Mode, PathRules, Reason};

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
    /// The record is of a build in another workspace that shares the target directory (a git
    /// worktree): the binary there is that workspace's.
    OtherWorkspace(PathBuf),
    /// `rustc -vV` says something else than at the build.
    ToolchainChanged,
    /// Other features are asked for than it was built with.
    FeaturesChanged {
        /// The features it was built with.
        then: crate::cargo::flags::FeatureRequest,
        /// The features asked for now.
        now: crate::cargo::flags::FeatureRequest,
    },
    /// An environment variable cargo reads (or the user's cargo config) changed.
    EnvironmentChanged(String),
    /// An input file or lock entry changed.
    Input(Reason),
    /// The user asked for a rebuild.
    Forced,
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
    /// What changed since the record, for people and `affected`: repository-relative paths
    /// (absolute ones outside the repository).
    pub changed_files: Vec<String>,
    /// The recorded inputs whose content differs now, as cargo reported them: the build makes
    /// sure cargo sees them as changed, whatever their mtime says.
    pub changed_inputs: Vec<PathBuf>,
    /// Why this machine cannot build it, when the `requires` configuration says so: builds
    /// and cascades leave it alone.
    pub unbuildable: Option<rbee_graph_model::rules::config::Unbuildable>,
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
                        | StaleReason::OtherWorkspace(_)
                        | StaleReason::Forced
                        | StaleReason::ExecutableMissing(_)
                        | StaleReason::ExecutableReplaced(_)
                )
            })
    }
}

/// Checks binaries of one workspace against their records, sharing the work between them
/// (one status walk per recorded commit and scope, one hash per file).
pub struct Checker<'w> {
    worktree: &'w Worktree,
    profile: Profile,
    store: RecordStore,
    toolchain: String,
    triple: String,
    explicit_target: bool,
    flags: crate::cargo::flags::CargoFlags,
    environment: BTreeMap<String, String>,
    rules: PathRules,
    lock_path: String,
    scopes: ScopeCache,
    contents: HashMap<PathBuf, Content>,
    /// Give a reason per changed path, not per kind and package (see [`Self::every_path`]).
    every_path: bool,
}

impl<'w> Checker<'w> {
    /// Prepares to check binaries of `worktree` built with `profile` and `flags`.
    pub fn new(
        worktree: &'w Worktree,
        profile: &Profile,
        flags: &crate::cargo::flags::CargoFlags,
    ) -> Result<Checker<'w>> {
        let toolchain = crate::cargo::toolchain::rustc_version(
            &worktree.workspace_root,
            &worktree.state_dir(),
        )?;
        let (triple, explicit_target) =
            crate::cargo::toolchain::build_target(&worktree.workspace_root, &toolchain, flags);
        let graph = &worktree.snapshot.graph;
        let root = graph.workspace_root();
        Ok(Checker {
            worktree,
            profile: profile.clone(),
            store: RecordStore::new(&worktree.state_dir()),
            triple,
            explicit_target,
            flags: flags.clone(),
            toolchain,
            environment: crate::cargo::toolchain::build_environment(),
            rules: PathRules::new(root, &worktree.snapshot.config)?
                .ignoring_outputs(worktree.target_dir_in_repo()),
            lock_path: join(root, "Cargo.lock"),
            scopes: ScopeCache::default(),
            contents: HashMap::new(),
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

    /// Whether a target was asked for (`--target`, `build.target`, `CARGO_BUILD_TARGET`):
    /// cargo then writes to `<target-dir>/<triple>/<profile>`.
    pub fn explicit_target(&self) -> bool {
        self.explicit_target
    }

    /// `rustc -vV`.
    pub fn toolchain(&self) -> &str {
        &self.toolchain
    }

    /// The environment inputs now.
    pub fn environment(&self) -> &BTreeMap<String, String> {
        &self.environment
    }

    /// Decides whether `binary` is fresh.
    pub fn check(&mut self, binary: &Binary) -> Result<Verdict> {
        let mut verdict = Verdict {
            binary: binary.clone(),
            record: None,
            reasons: Vec::new(),
            changed_files: Vec::new(),
            changed_inputs: Vec::new(),
            unbuildable: None,
        };
        let record = match self.store.read(binary, &self.profile, &self.triple) {
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
        let dirty = crate::observe::decide::decide(&record, self)?;
        let mut in_repo = BTreeSet::new();
        let mut outside = BTreeSet::new();
        let mut lock_names = BTreeSet::new();
        for d in dirty {
            match d {
                Dirty::ExecutableMissing(p) => {
                    verdict.reasons.push(StaleReason::ExecutableMissing(p));
                }
                Dirty::ExecutableReplaced(p) => {
                    verdict.reasons.push(StaleReason::ExecutableReplaced(p));
                }
                Dirty::CommitMissing(c) => verdict.reasons.push(StaleReason::CommitMissing(c)),
                Dirty::OtherWorkspace(root) => {
                    verdict.reasons.push(StaleReason::OtherWorkspace(root));
                }
                Dirty::Toolchain => verdict.reasons.push(StaleReason::ToolchainChanged),
                Dirty::Features { then, now } => {
                    verdict
                        .reasons
                        .push(StaleReason::FeaturesChanged { then, now });
                }
                Dirty::Environment { variable, .. } => {
                    verdict
                        .reasons
                        .push(StaleReason::EnvironmentChanged(variable));
                }
                Dirty::Input { path, .. } => {
                    let resolved = record.inputs[&path].resolved.as_deref();
                    match self.repo_relative(resolved.unwrap_or(&path)) {
                        Some(rel) => {
                            in_repo.insert(rel);
                        }
                        None => {
                            outside.insert(path.display().to_string());
                        }
                    }
                    verdict.changed_inputs.push(path);
                }
                Dirty::LockEntries(names) => lock_names.extend(names),
                Dirty::LockFileChanged => {
                    lock_names.insert(String::new());
                }
                Dirty::PackageFiles(paths) => in_repo.extend(paths),
            }
        }
        let reasons = self.input_reasons(binary, &in_repo, &outside, &lock_names)?;
        verdict
            .reasons
            .extend(reasons.into_iter().map(StaleReason::Input));
        verdict.changed_files = in_repo.into_iter().chain(outside).collect();
        if !lock_names.is_empty() {
            verdict.changed_files.push(self.lock_path.clone());
        }
        verdict.record = Some(record);
        Ok(verdict)
    }

    fn repo(&self) -> &Repo {
        &self.worktree.repo
    }

    /// `path` relative to the repository root, also through symlinks.
    fn repo_relative(&self, path: &Path) -> Option<String> {
        crate::git::repo::repo_relative(path, self.repo().workdir())
    }

    /// Reasons for `binary`: changed paths inside the repository through the path rules (with
    /// the chain of packages), paths the rules do not tie to it (another package's file, an
    /// ignored or test-only file, a file outside every package) and paths outside the
    /// repository as files it read, and changed lock entries.
    fn input_reasons(
        &self,
        binary: &Binary,
        in_repo: &BTreeSet<String>,
        outside: &BTreeSet<String>,
        lock_names: &BTreeSet<String>,
    ) -> Result<Vec<Reason>> {
        let graph = &self.worktree.snapshot.graph;
        let no_entries = BTreeSet::new();
        let change = Change {
            reads: None,
            test_reads: None,
            declarations: None,
            head: graph,
            base: None,
            paths: in_repo,
            lock_entries: &no_entries,
            lock_path: &self.lock_path,
            spawns: &BTreeMap::new(),
        };
        let every = rules::reasons_for(&self.rules, &change, binary)?;
        let covered: BTreeSet<&str> = every.iter().filter_map(Reason::path).collect();
        let read = |path: &String| Reason::Unowned { path: path.clone() };
        let uncovered: Vec<Reason> = in_repo
            .iter()
            .filter(|p| !covered.contains(p.as_str()))
            .chain(outside)
            .map(read)
            .collect();
        let mut reasons = if self.every_path {
            every
        } else {
            rules::affected(&self.rules, &change, Mode::Binaries)?
                .binaries
                .into_iter()
                .find(|b| b.binary == *binary)
                .map(|b| b.reasons)
                .unwrap_or_default()
        };
        reasons.extend(uncovered);
        for name in lock_names {
            reasons.push(Reason::Lockfile {
                path: self.lock_path.clone(),
                krate: (!name.is_empty()).then(|| name.clone()),
                chain: if name.is_empty() {
                    Vec::new()
                } else {
                    lock_chain(graph, name, binary)
                },
            });
        }
        Ok(reasons)
    }
}

impl Facts for Checker<'_> {
    fn workspace_root(&self) -> &Path {
        &self.worktree.workspace_root
    }

    fn flags(&self) -> &crate::cargo::flags::CargoFlags {
        &self.flags
    }

    fn toolchain(&self) -> &str {
        &self.toolchain
    }

    fn explicit_target(&self) -> bool {
        self.explicit_target
    }

    fn environment(&self) -> &BTreeMap<String, String> {
        &self.environment
    }

    fn has_commit(&mut self, commit: &str) -> bool {
        ObjectId::from_hex(commit.as_bytes()).is_ok_and(|id| self.repo().has_commit(id))
    }

    fn content_now(&mut self, path: &Path, recorded: &Input) -> Content {
        if let Some(content) = self.contents.get(path) {
            return content.clone();
        }
        let content = crate::records::inputs::content_now(path, recorded);
        self.contents.insert(path.to_owned(), content.clone());
        content
    }

    fn lock_entries_now(&mut self, record: &Record) -> Option<BTreeMap<String, LockedEntry>> {
        let snapshot = &self.worktree.snapshot;
        Some(lock_entries(
            &snapshot.graph,
            snapshot.lock(),
            &record.binary,
            record.externals.as_ref(),
        ))
    }

    fn changed_in_scope(&mut self, record: &Record) -> Result<BTreeSet<String>> {
        self.scopes.changed(&self.worktree.repo, record)
    }
}

/// The status walks of record scopes, shared between binaries with the same commit and scope.
#[derive(Default)]
pub(crate) struct ScopeCache {
    walks: HashMap<(String, Vec<String>), BTreeSet<String>>,
}

impl ScopeCache {
    /// The paths of `record`'s scope whose content differs from what its build saw (see
    /// [`changed_since_build`]).
    pub(crate) fn changed(&mut self, repo: &Repo, record: &Record) -> Result<BTreeSet<String>> {
        let key = (record.commit.clone(), record.scope.clone());
        if !self.walks.contains_key(&key) {
            let commit =
                ObjectId::from_hex(record.commit.as_bytes()).map_err(crate::error::Error::git)?;
            let _phase = crate::progress::phase("comparing the working tree with the builds");
            let walk = repo.changed_in_worktree_under(commit, &record.scope)?;
            self.walks.insert(key.clone(), walk);
        }
        let since_commit = &self.walks[&key];
        changed_since_build(record, since_commit, &record.scope, |path| {
            Ok(repo.hash_on_disk(path)?.map(|id| id.to_string()))
        })
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

/// Whether `path` came from a file name that is not UTF-8 (and so cannot be found by it).
pub(crate) fn is_lossy(path: &str) -> bool {
    path.contains(char::REPLACEMENT_CHARACTER)
}

/// Every `Cargo.lock` entry `binary` reaches through normal and build dependencies, keyed by
/// `name version source`: an entry that differs (or is new, or gone) changed the binary's
/// inputs.
///
/// With `compiled` (the external crates its build compiled, as `name version`), only through
/// those: an optional dependency that no enabled feature turns on, or one for another
/// platform, is in the lock file but not in the build. A new crate the build would now compile
/// comes from an entry it did compile, whose dependencies then differ.
///
/// Also every entry that can change, through feature unification, the features of a crate the
/// build uses (see `unify` in the graph crate): a crate only another default member depends on,
/// which depends on one of those.
pub fn lock_entries(
    graph: &WorkspaceGraph,
    lock: Option<&Lockfile>,
    binary: &Binary,
    compiled: Option<&BTreeSet<String>>,
) -> BTreeMap<String, LockedEntry> {
    let (Some(package), Some(lock)) = (graph.package_by_name(&binary.package), lock) else {
        return BTreeMap::new();
    };
    let used = reached_externals(graph, package, compiled);
    let unified = graph.unification_externals(&graph.unified_with(package), &used);
    used.iter()
        .chain(&unified)
        .filter_map(|&id| match graph.node(id) {
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

/// The external crates `binary`'s build compiled, as `name version`: of the crates its run
/// compiled (`run_compiled`; `None` when cargo's messages did not say), those its package
/// reaches through crates of the run. Without a lock file the graph knows no external crates
/// and the run's whole set is kept: more than the binary's, never less.
pub fn binary_externals(
    graph: &WorkspaceGraph,
    has_lock: bool,
    binary: &Binary,
    run_compiled: Option<&BTreeSet<String>>,
) -> Option<BTreeSet<String>> {
    let run_compiled = run_compiled?;
    let package = graph.package_by_name(&binary.package);
    match package {
        Some(package) if has_lock => Some(
            reached_externals(graph, package, Some(run_compiled))
                .into_iter()
                .filter_map(|id| match graph.node(id) {
                    Node::External(e) => Some(format!("{} {}", e.name, e.version)),
                    Node::Package(_) => None,
                })
                .collect(),
        ),
        _ => Some(run_compiled.clone()),
    }
}

/// The external crates `package` reaches through normal and build dependencies, passing only
/// through those in `compiled` (`name version`) when it is given.
fn reached_externals(
    graph: &WorkspaceGraph,
    package: rbee_graph_model::NodeId,
    compiled: Option<&BTreeSet<String>>,
) -> BTreeSet<rbee_graph_model::NodeId> {
    let mut seen = BTreeSet::from([package]);
    let mut stack = vec![package];
    let mut externals = BTreeSet::new();
    while let Some(id) = stack.pop() {
        for (dep, kind) in graph.dependencies(id) {
            if !kind.reaches_binaries() || seen.contains(&dep) {
                continue;
            }
            if let Node::External(e) = graph.node(dep) {
                if compiled.is_some_and(|c| !c.contains(&format!("{} {}", e.name, e.version))) {
                    continue;
                }
                externals.insert(dep);
            }
            seen.insert(dep);
            stack.push(dep);
        }
    }
    externals
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
