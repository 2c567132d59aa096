//! The rebuild plan and the pre-spawn hook: which requested binaries are stale, building them
//! in one cargo run under the lock, and recording what was built.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rbee_graph_model::{Binary, WorkspaceGraph};

use std::time::SystemTime;

use crate::cargo_output::CargoOutput;
use crate::compiled::Compiled;
use crate::config::Unbuildable;
use crate::error::{Error, Result};
use crate::flags::{CargoFlags, FeatureRequest};
use crate::freshness::{self, Checker, StaleReason, Verdict};
use crate::lock::BuildLock;
use crate::profile::Profile;
use crate::record::{self, Record};
use crate::run::{self, CargoBuild};
use crate::select;
use crate::snapshot::{self, Worktree};
use crate::stamp::Stamp;

/// What `build` should build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The workspace manifest; `None` finds it from the current directory.
    pub manifest_path: Option<PathBuf>,
    /// Binary names; none means every binary of the workspace.
    pub binaries: Vec<String>,
    /// Look the names up in this package only (cargo's `-p`).
    pub package: Option<String>,
    /// Also build this binary and everything it spawns, transitively.
    pub cascade: Option<String>,
    /// Rebuild even what is fresh.
    pub force: bool,
    /// The profile; `None` is `RBEE_GRAPH_PROFILE`, else the configured one, else `dev`.
    pub profile: Option<Profile>,
    /// Cargo's flags: features, target, `--locked`, ...
    pub cargo: CargoFlags,
    /// Where cargo's output goes.
    pub output: CargoOutput,
}

/// What a build did.
#[derive(Clone, Debug, Default)]
pub struct BuildOutcome {
    /// The binaries that were stale and were built, in build order, with why.
    pub built: Vec<Verdict>,
    /// The binaries that were already fresh.
    pub fresh: Vec<Binary>,
    /// The binaries this machine cannot build (see the `requires` configuration), left alone.
    pub skipped: Vec<(Binary, Unbuildable)>,
    /// Where every requested binary that is fresh now is.
    pub executables: BTreeMap<Binary, PathBuf>,
}

/// Builds the stale subset of the requested binaries, in as few cargo runs as their features
/// allow. Runs on a thread of the engine's, so it works on any async runtime (or executor)
/// and never blocks the caller's task; see [`build_blocking`] for synchronous callers.
///
/// # Errors
/// [`Error::BuildFailed`] when some binary did not compile; the others are recorded.
pub async fn build(options: &BuildOptions) -> Result<BuildOutcome> {
    let options = options.clone();
    off_thread(move || build_blocking(&options)).await
}

/// [`build`], on the calling thread (for an `xtask` or a build script).
pub fn build_blocking(options: &BuildOptions) -> Result<BuildOutcome> {
    let (targets, profile, state_dir) = {
        let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
        let graph = &worktree.snapshot.graph;
        let mut targets = BTreeSet::new();
        for name in &options.binaries {
            let binary = select::binary(graph, name, options.package.as_deref())?;
            // A binary named on its own must be built; one that comes with a cascade or with
            // "every binary" is skipped where this machine cannot build it.
            if let Some(why) = worktree.snapshot.config.unbuildable(&binary.name) {
                return Err(Error::Unbuildable {
                    binary: binary.name,
                    why,
                });
            }
            targets.insert(binary);
        }
        if let Some(root) = &options.cascade {
            let root = select::binary(graph, root, options.package.as_deref())?;
            targets.extend(select::cascade(
                graph,
                &worktree.snapshot.config.spawns,
                &root,
            ));
        }
        if options.binaries.is_empty() && options.cascade.is_none() {
            targets.extend(
                graph
                    .binaries()
                    .map(|(_, b)| b)
                    .filter(|b| options.package.as_ref().is_none_or(|p| *p == b.package)),
            );
        }
        let profile = profile(&worktree, options.profile.as_ref());
        (
            targets.into_iter().collect::<Vec<_>>(),
            profile,
            worktree.state_dir(),
        )
    };
    build_stale(&StaleBuild {
        manifest_path: options.manifest_path.clone(),
        state_dir,
        targets,
        profile,
        flags: options.cargo.clone(),
        output: options.output.clone(),
        force: options.force,
    })
}

/// Runs `work` on a thread of its own and awaits its answer: the engine's work is synchronous
/// (git, hashing, cargo), and a caller's runtime may have one thread, no IO or time driver,
/// or not be tokio at all. A oneshot channel needs none of them.
pub(crate) async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("rbee-graph".to_owned())
        .spawn(move || {
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(answer);
        });
    if let Err(e) = spawned {
        panic!("cannot start a thread for rbee-graph: {e}");
    }
    match rx.await {
        Ok(Ok(answer)) => answer,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => unreachable!("the thread always answers"),
    }
}

/// The profile to use for `worktree`; see [`Profile::choose`].
pub fn profile(worktree: &Worktree, asked: Option<&Profile>) -> Profile {
    Profile::choose(asked, worktree.snapshot.config.profile.as_deref())
}

/// A build of the stale subset of some binaries, as `build`, `ensure` and `watch` ask for it.
#[derive(Clone, Debug)]
pub(crate) struct StaleBuild {
    pub manifest_path: Option<PathBuf>,
    pub state_dir: PathBuf,
    pub targets: Vec<Binary>,
    pub profile: Profile,
    pub flags: CargoFlags,
    pub output: CargoOutput,
    pub force: bool,
}

/// Takes the lock in the state directory, reads the workspace again and decides again what is
/// stale (another process may have built it meanwhile), builds that, and records it.
pub(crate) fn build_stale(request: &StaleBuild) -> Result<BuildOutcome> {
    let _lock = BuildLock::acquire(&request.state_dir)?;
    let mut plan = match Plan::prepare(request)? {
        Prepared::Fresh(outcome) => return Ok(outcome),
        Prepared::Build(plan) => plan,
    };
    let mut failed = Vec::new();
    let mut errors = Vec::new();
    for run in std::mem::take(&mut plan.runs) {
        let build = CargoBuild {
            manifest_path: &plan.manifest_path,
            workspace_root: &plan.workspace_root,
            profile: &request.profile,
            package: run.package.as_deref(),
            binaries: &run.binaries,
            features: &run.features,
            flags: &request.flags,
            output: &request.output,
        };
        let started = SystemTime::now();
        let built = run::cargo_build(&plan.snapshot.graph, &plan.workdir, &build)?;
        plan.record(&request.profile, &run, &built, started)?;
        failed.extend(built.failed.iter().map(|b| b.name.clone()));
        errors.extend(built.errors);
    }
    let outcome = plan.finish();
    if failed.is_empty() {
        Ok(outcome)
    } else {
        Err(Error::BuildFailed {
            binaries: failed,
            errors,
        })
    }
}

fn no_commits() -> Error {
    Error::UnknownRevision {
        rev: "HEAD".to_owned(),
        reason: "the repository has no commits yet; commit once so builds can be recorded"
            .to_owned(),
    }
}

/// What [`Plan::prepare`] found.
enum Prepared {
    /// Nothing to build.
    Fresh(BuildOutcome),
    /// A build to run.
    Build(Box<Plan>),
}

/// A build about to run: everything the records will say, gathered before cargo starts.
struct Plan {
    snapshot: snapshot::Snapshot,
    workdir: PathBuf,
    workspace_root: PathBuf,
    target_directory: PathBuf,
    manifest_path: PathBuf,
    head: gix::ObjectId,
    dirty: BTreeMap<String, Option<String>>,
    stale: Vec<Verdict>,
    /// The cargo runs, each with binaries that share a package selection and features.
    runs: Vec<PlannedRun>,
    /// Each stale binary's `required-features`.
    required: BTreeMap<Binary, Vec<String>>,
    outcome: BuildOutcome,
    store: crate::record::RecordStore,
    compiled: Compiled,
    /// The stat of every input known before cargo started, to tell what moved during the build.
    before: BTreeMap<PathBuf, Stamp>,
    triple: String,
    toolchain: String,
    environment: BTreeMap<String, String>,
}

impl Plan {
    /// Decides what is stale, snapshots the sources as the build starts, and makes cargo see
    /// the content changes it would miss by mtime.
    fn prepare(request: &StaleBuild) -> Result<Prepared> {
        let (profile, force) = (&request.profile, request.force);
        let worktree = snapshot::load_worktree(request.manifest_path.as_deref())?;
        let head = worktree.repo.head_commit()?.ok_or_else(no_commits)?;
        let mut checker = Checker::new(&worktree, profile, &request.flags)?;
        let mut outcome = BuildOutcome::default();
        let mut stale = Vec::new();
        for binary in &request.targets {
            if let Some(why) = worktree.snapshot.config.unbuildable(&binary.name) {
                tracing::info!("skipping {}: this machine cannot build it", binary.name);
                outcome.skipped.push((binary.clone(), why));
                continue;
            }
            let mut verdict = checker.check(binary)?;
            if verdict.is_fresh() && !force {
                let record = verdict
                    .record
                    .as_ref()
                    .expect("a fresh binary has a record");
                outcome
                    .executables
                    .insert(binary.clone(), record.executable.clone());
                outcome.fresh.push(binary.clone());
                continue;
            }
            if force {
                verdict.reasons.insert(0, StaleReason::Forced);
            }
            stale.push(verdict);
        }
        if stale.is_empty() {
            return Ok(Prepared::Fresh(outcome));
        }
        let graph = &worktree.snapshot.graph;
        let pairs = crate::rules::spawn_pairs(graph, &worktree.snapshot.config.spawns);
        let order = graph.order_binaries(stale.iter().map(|v| v.binary.clone()), &pairs)?;
        stale.sort_by_key(|v| order.iter().position(|b| *b == v.binary));
        let output_dir = profile.output_dir(
            &worktree.target_directory,
            checker.explicit_target().then_some(checker.triple()),
        );
        refuse_same_output(&stale, &output_dir)?;
        for verdict in &stale {
            let why: Vec<String> = verdict.reasons.iter().map(StaleReason::describe).collect();
            tracing::info!("{} is stale: {}", verdict.binary.name, why.join("; "));
        }

        // What git sees as the build starts: the records compare packages whose build script
        // names no `rerun-if-changed` with it.
        let repo = &worktree.repo;
        let mut dirty = BTreeMap::new();
        for path in repo.changed_in_worktree(head)? {
            let hash = repo.hash_on_disk(&path)?.map(|id| id.to_string());
            dirty.insert(path, hash);
        }

        // Make cargo recompile whatever differs from what it last compiled, whichever binary
        // it compiled it for, and the inputs a record says changed.
        let compiled = Compiled::load(&worktree.state_dir());
        let mut touched: BTreeSet<PathBuf> = compiled.differing().into_iter().collect();
        let mut known: BTreeSet<PathBuf> = compiled.paths().map(Path::to_owned).collect();
        let mut compiled_at: Option<BTreeMap<PathBuf, i128>> = None;
        for verdict in &stale {
            touched.extend(verdict.changed_inputs.iter().cloned());
            if let Some(record) = &verdict.record {
                known.extend(record.inputs.keys().cloned());
            }
            let dep_info = output_dir.join(format!("{}.d", verdict.binary.name));
            let sources = crate::depinfo::read(&dep_info).unwrap_or_default();
            if !verdict.knows_what_changed() {
                // Nothing says which files changed since cargo last built this binary (a plain
                // `cargo build` did, or none through rbee-graph ever did), and cargo's mtimes may
                // lie. A source that has not changed at all since rustc last compiled every
                // unit that reads it (its ctime, which nothing can set back, is older than
                // those units' dep-info) was compiled as it is; every other one is touched.
                // Asked for a rebuild, or the binary file is not one cargo linked (copied over
                // it): cargo would call it fresh, so every source is touched.
                let rebuild_all = verdict.reasons.iter().any(|r| match r {
                    StaleReason::Forced => true,
                    StaleReason::ExecutableReplaced(exe) => {
                        // Cargo links a new file; one written in place (same inode as
                        // recorded) was written by something else, through cargo's hard link.
                        let in_place = verdict.record.as_ref().is_some_and(|r| {
                            let now = Stamp::of(exe);
                            now.inode == r.executable_stamp.inode
                                && now.dev == r.executable_stamp.dev
                        });
                        in_place || !linked_by_cargo(exe, &verdict.binary)
                    }
                    _ => false,
                });
                let compiled = compiled_at
                    .get_or_insert_with(|| unit_compile_times(&output_dir.join("deps"), &worktree));
                touched.extend(
                    sources
                        .iter()
                        .filter(|f| {
                            f.is_absolute() && (rebuild_all || !compiled_as_it_is(f, compiled))
                        })
                        .cloned(),
                );
            }
            let recorded_elsewhere = verdict.reasons.iter().find_map(|r| match r {
                StaleReason::OtherWorkspace(root) => Some(root.clone()),
                _ => None,
            });
            // A plain `cargo build` in another worktree leaves no record, only its paths in
            // the binary's dep-info.
            let other = recorded_elsewhere.or_else(|| {
                let src = own_source(&worktree, &verdict.binary)?;
                built_in_other_workspace(&sources, &src, &worktree.workspace_root)
            });
            if let Some(other) = &other {
                // Cargo hashes path packages by their path in the workspace, so another
                // worktree's build left artifacts cargo takes for this one's (cargo#17312):
                // the same files here must look newer than that build.
                touched.extend(sources.iter().filter_map(|f| {
                    let rel = f.strip_prefix(other).ok()?;
                    Some(worktree.workspace_root.join(rel))
                }));
            }
            known.extend(sources);
        }
        run::touch(repo.workdir(), &touched);
        // A touched file has a new mtime: it must be known as it is now, or it would look
        // edited during the build.
        known.extend(touched.iter().cloned());
        let before = crate::compiled::stamps(known.iter().map(PathBuf::as_path));

        let required: BTreeMap<Binary, Vec<String>> = stale
            .iter()
            .map(|v| (v.binary.clone(), required_features(&worktree, &v.binary)))
            .collect();
        let runs = plan_runs(
            &worktree.snapshot.graph,
            stale.iter().map(|v| &v.binary),
            &required,
            &request.flags,
        );
        let (triple, toolchain, environment, store) = (
            checker.triple().to_owned(),
            checker.toolchain().to_owned(),
            checker.environment().clone(),
            checker.store().clone(),
        );
        drop(checker);
        let Worktree {
            snapshot,
            repo,
            workspace_root,
            target_directory,
        } = worktree;
        Ok(Prepared::Build(Box::new(Plan {
            snapshot,
            workdir: repo.workdir().to_owned(),
            manifest_path: workspace_root.join("Cargo.toml"),
            workspace_root,
            target_directory,
            head,
            dirty,
            stale,
            runs,
            required,
            outcome,
            store,
            compiled,
            before,
            triple,
            toolchain,
            environment,
        })))
    }

    /// Writes a record for every binary of `run` that cargo built, with every input it read
    /// as it is now, except what changed while cargo ran, which is recorded as unknown.
    fn record(
        &mut self,
        profile: &Profile,
        run: &PlannedRun,
        built: &run::Built,
        started: SystemTime,
    ) -> Result<()> {
        // What cargo saw: the variables as this process has them (cargo inherited them).
        let env_deps: BTreeMap<String, Option<String>> = built
            .env_vars
            .iter()
            .map(|var| (var.clone(), std::env::var(var).ok()))
            .collect();
        let collector = InputCollector::new(
            built,
            &self.workdir,
            &self.workspace_root,
            &self.target_directory,
        );
        // Cargo reads every manifest of the workspace (and of its path dependencies) to load
        // it; each is an input of every binary.
        let manifests: Vec<PathBuf> = self
            .snapshot
            .graph
            .packages()
            .filter_map(|(_, p)| p.dir.as_deref())
            .map(|dir| self.workdir.join(dir).join("Cargo.toml"))
            .collect();
        for binary in &run.binaries {
            let Some(executable) = built.executables.get(binary).cloned() else {
                // Cargo did not build it: the old record, if any, stays (and says stale).
                continue;
            };
            let read = collector.read_by(binary, &executable);
            let mut inputs = crate::inputs::Inputs::new();
            for path in read
                .sources
                .iter()
                .chain(&read.configuration)
                .chain(&manifests)
            {
                inputs
                    .entry(path.clone())
                    .or_insert_with(|| crate::inputs::fingerprint(path));
            }
            crate::inputs::settle(&mut inputs, &self.before, started);
            settle_lock_file(&mut inputs, &self.workspace_root, built);
            crate::inputs::keep_nameable(&mut inputs);
            self.compiled.update(
                read.sources
                    .iter()
                    .filter_map(|path| inputs.get_key_value(path)),
            );
            let record = Record {
                schema: record::SCHEMA,
                binary: binary.clone(),
                profile: profile.name().to_owned(),
                target: self.triple.clone(),
                features: built.features.get(binary).cloned().unwrap_or_default(),
                feature_request: run.features.clone(),
                required_features: self.required.get(binary).cloned().unwrap_or_default(),
                workspace_root: self.workspace_root.clone(),
                commit: self.head.to_string(),
                dirty: self.dirty.clone(),
                toolchain: self.toolchain.clone(),
                environment: self.environment.clone(),
                env_deps: env_deps.clone(),
                lock_entries: freshness::lock_entries(
                    &self.snapshot.graph,
                    self.snapshot.lock.as_ref(),
                    binary,
                ),
                lock_file: self.workspace_root.join("Cargo.lock"),
                inputs,
                scope: read.scope,
                executable_stamp: Stamp::of(&executable),
                executable: executable.clone(),
            };
            self.store.write(&record, profile)?;
            self.outcome.executables.insert(binary.clone(), executable);
        }
        // Losing this only costs precision: the records still say what changed.
        if let Err(e) = self.compiled.save() {
            tracing::warn!("cannot keep what cargo compiled: {e}");
        }
        Ok(())
    }

    /// What the build did, once every run is recorded.
    fn finish(self) -> BuildOutcome {
        let mut outcome = self.outcome;
        outcome.built = self
            .stale
            .into_iter()
            .filter(|v| outcome.executables.contains_key(&v.binary))
            .collect();
        outcome
    }
}

/// One cargo run of a build.
#[derive(Clone, Debug)]
struct PlannedRun {
    package: Option<String>,
    features: FeatureRequest,
    binaries: Vec<Binary>,
}

/// Splits `binaries` (in build order) into cargo runs. Each binary is built as the user's own
/// `cargo build --bin NAME` would build it: without `-p` where the default package selection
/// holds it under a unique name, so that features resolve alike and neither command undoes
/// the other's work; with `-p PACKAGE` otherwise, as cargo requires. Binaries whose feature
/// requests or selections differ go to separate runs, so none is compiled with another's
/// features.
fn plan_runs<'a>(
    graph: &WorkspaceGraph,
    binaries: impl Iterator<Item = &'a Binary>,
    required: &BTreeMap<Binary, Vec<String>>,
    flags: &CargoFlags,
) -> Vec<PlannedRun> {
    let mut runs: Vec<PlannedRun> = Vec::new();
    for binary in binaries {
        let package = needs_package_flag(graph, binary).then(|| binary.package.clone());
        let features = flags.request_for(
            &binary.package,
            required.get(binary).map(Vec::as_slice).unwrap_or_default(),
        );
        match runs
            .iter_mut()
            .find(|r| r.package == package && r.features == features)
        {
            Some(run) => run.binaries.push(binary.clone()),
            None => runs.push(PlannedRun {
                package,
                features,
                binaries: vec![binary.clone()],
            }),
        }
    }
    runs
}

/// Whether `cargo build --bin NAME` in the workspace root would not select `binary`: its
/// package is not a default member, or another default member has a binary of that name.
fn needs_package_flag(graph: &WorkspaceGraph, binary: &Binary) -> bool {
    let defaults_with_name = graph
        .packages()
        .filter(|(_, p)| p.default_member && p.bins().any(|t| t.name == binary.name))
        .count();
    let own_is_default = graph
        .package_by_name(&binary.package)
        .is_some_and(|id| graph.package(id).default_member);
    !own_is_default || defaults_with_name > 1
}

/// For every source a local unit's rustc dep-info (`deps/<crate>-<hash>.d`) lists, the oldest
/// such file's mtime (nanoseconds): rustc wrote it after reading the source. Several variants
/// of a crate (features, profiles) each count, and the oldest decides: the binary may link
/// any of them.
fn unit_compile_times(deps: &Path, worktree: &Worktree) -> BTreeMap<PathBuf, i128> {
    let graph = &worktree.snapshot.graph;
    let crates: BTreeSet<String> = graph
        .packages()
        .flat_map(|(_, p)| p.targets.iter().map(|t| t.name.replace('-', "_")))
        .collect();
    let mut times: BTreeMap<PathBuf, i128> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(deps) else {
        return times;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".d") else {
            continue;
        };
        let Some((krate, _hash)) = stem.rsplit_once('-') else {
            continue;
        };
        if !crates.contains(krate) {
            continue;
        }
        let written = Stamp::of(&path).mtime_ns;
        for file in crate::depinfo::read(&path).unwrap_or_default() {
            let file = if file.is_absolute() {
                file
            } else {
                worktree.workspace_root.join(file)
            };
            let file = rbee_graph_model::path::normalize(&file);
            times
                .entry(file)
                .and_modify(|t| *t = (*t).min(written))
                .or_insert(written);
        }
    }
    times
}

/// Whether `exe` is the file cargo linked: cargo hard-links `<profile>/<bin>` to
/// `deps/<crate>-<hash>`, so one of those shares its inode.
fn linked_by_cargo(exe: &Path, binary: &Binary) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(exe) else {
        return false;
    };
    let Some(deps) = exe.parent().map(|d| d.join("deps")) else {
        return false;
    };
    let prefix = format!("{}-", binary.name.replace('-', "_"));
    std::fs::read_dir(deps)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix) && !n.contains('.'))
                && entry
                    .metadata()
                    .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
        })
}

/// Whether `source` is untouched since rustc last compiled every unit that reads it.
fn compiled_as_it_is(source: &Path, compiled_at: &BTreeMap<PathBuf, i128>) -> bool {
    // Kernel timestamps are coarser than the clock rustc's writes are stamped with.
    const MARGIN_NS: i128 = 10_000_000;
    let Some(&written) = compiled_at.get(&rbee_graph_model::path::normalize(source)) else {
        return false;
    };
    let stamp = Stamp::of(source);
    stamp.exists && stamp.ctime_ns != 0 && stamp.ctime_ns + MARGIN_NS < written
}

/// The binary's root source file, relative to the workspace root.
fn own_source(worktree: &Worktree, binary: &Binary) -> Option<PathBuf> {
    let graph = &worktree.snapshot.graph;
    let package = graph.package(graph.package_by_name(&binary.package)?);
    let target = package.bins().find(|t| t.name == binary.name)?;
    let abs = worktree.repo.workdir().join(target.src_path.as_deref()?);
    abs.strip_prefix(&worktree.workspace_root)
        .ok()
        .map(Path::to_owned)
}

/// The root of the other workspace whose build the binary's dep-info describes: the directory
/// in which the binary's own root source (`src`, relative to a workspace root) was compiled,
/// when that is not `workspace_root`.
fn built_in_other_workspace(
    dep_info: &[PathBuf],
    src: &Path,
    workspace_root: &Path,
) -> Option<PathBuf> {
    dep_info.iter().find_map(|f| {
        let mut root = f.clone();
        for _ in src.components() {
            root.pop();
        }
        (root.join(src) == *f && root != workspace_root && root.is_absolute()).then_some(root)
    })
}

/// Cargo writes `Cargo.lock` as it resolves, before it compiles anything (a lock copied from
/// elsewhere, or an ignored one that is out of date, is rewritten by the build itself). A lock
/// file last written before cargo's first message is the one the build used, not an edit
/// made while it ran.
fn settle_lock_file(inputs: &mut crate::inputs::Inputs, workspace_root: &Path, built: &run::Built) {
    let lock = workspace_root.join("Cargo.lock");
    let Some(input) = inputs.get_mut(&lock) else {
        return;
    };
    let written = std::fs::metadata(&lock).and_then(|m| m.modified()).ok();
    if input.content == crate::inputs::Content::Unsettled
        && let (Some(written), Some(first)) = (written, built.first_message)
        && written <= first
    {
        *input = crate::inputs::fingerprint(&lock);
    }
}

/// Two stale binaries with one name land in one file: cargo would write one over the other
/// and both records would claim it.
fn refuse_same_output(stale: &[Verdict], output_dir: &Path) -> Result<()> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for verdict in stale {
        let binary = &verdict.binary;
        if let Some(other) = seen.insert(&binary.name, &binary.package) {
            return Err(Error::SameOutput {
                name: binary.name.clone(),
                packages: (other.to_owned(), binary.package.clone()),
                path: output_dir.join(&binary.name),
            });
        }
    }
    Ok(())
}

/// What one binary's build read, from cargo's reports of a run.
struct Read {
    /// Files from dep-info: sources, `include_str!` files, build scripts and their
    /// `rerun-if-changed` paths (directories with every file in them). Cargo decides these by
    /// mtime, so [`Compiled`] keeps them.
    sources: BTreeSet<PathBuf>,
    /// Files cargo and rustup read to configure the build: manifests, the lock file,
    /// configuration and toolchain files, files whose existence makes a target.
    configuration: BTreeSet<PathBuf>,
    /// See [`Record::scope`].
    scope: Vec<String>,
}

/// Turns a cargo run's reports into each binary's inputs.
struct InputCollector<'a> {
    built: &'a run::Built,
    workdir: &'a Path,
    workspace_root: &'a Path,
    /// Outputs and the immutable sources of registry and git dependencies (covered by their
    /// lock entries) are not inputs.
    excluded: Vec<PathBuf>,
    basedir: Option<PathBuf>,
    /// Sources of units cargo's per-binary dep-info leaves out (vendored and other non-path
    /// sources outside `$CARGO_HOME`), counted for every binary of the run.
    others: BTreeSet<PathBuf>,
}

impl<'a> InputCollector<'a> {
    fn new(
        built: &'a run::Built,
        workdir: &'a Path,
        workspace_root: &'a Path,
        target_directory: &Path,
    ) -> InputCollector<'a> {
        let mut excluded = vec![target_directory.to_owned()];
        if let Ok(canonical) = std::fs::canonicalize(target_directory) {
            excluded.push(canonical);
        }
        if let Some(home) = crate::cargo_config::cargo_home() {
            excluded.push(home.join("registry"));
            excluded.push(home.join("git"));
        }
        let config = crate::cargo_config::CargoConfig::load(workspace_root);
        let mut collector = InputCollector {
            built,
            workdir,
            workspace_root,
            excluded,
            basedir: config.dep_info_basedir(workspace_root),
            others: BTreeSet::new(),
        };
        let mut others = BTreeSet::new();
        for unit in built.units.iter().filter(|u| !u.is_path) {
            let Some(dep_info) = &unit.dep_info else {
                continue;
            };
            for file in crate::depinfo::read(dep_info).unwrap_or_default() {
                let file = collector.absolute(file, unit.manifest.parent());
                if collector.is_input(&file) {
                    others.insert(file);
                }
            }
        }
        collector.others = others;
        collector
    }

    /// A dep-info path made absolute: relative paths are relative to `build.dep-info-basedir`
    /// in cargo's own file, to the package for rustc's.
    fn absolute(&self, file: PathBuf, package_dir: Option<&Path>) -> PathBuf {
        if file.is_absolute() {
            return rbee_graph_model::path::normalize(&file);
        }
        let base = self
            .basedir
            .as_deref()
            .or(package_dir)
            .unwrap_or(self.workspace_root);
        rbee_graph_model::path::normalize(&base.join(file))
    }

    fn is_input(&self, path: &Path) -> bool {
        !self.excluded.iter().any(|dir| path.starts_with(dir))
    }

    fn read_by(&self, binary: &Binary, executable: &Path) -> Read {
        let mut sources = BTreeSet::new();
        let mut configuration = BTreeSet::new();
        let dir = executable.parent().unwrap_or(executable);
        let dep_info = dir.join(format!("{}.d", binary.name));
        match crate::depinfo::read(&dep_info) {
            Some(files) => {
                for file in files {
                    let file = self.absolute(file, None);
                    if self.is_input(&file) {
                        sources.insert(file);
                    }
                }
            }
            // Without cargo's list nothing is known: the record must not say fresh.
            None => {
                configuration.insert(dep_info);
            }
        }
        sources.extend(self.others.iter().cloned());
        // The packages whose units the binary's sources are the roots of.
        let mut packages: BTreeSet<&Path> = BTreeSet::new();
        for unit in &self.built.units {
            if sources.contains(&rbee_graph_model::path::normalize(&unit.src_path))
                && let Some(dir) = unit.manifest.parent()
            {
                packages.insert(dir);
                configuration.insert(unit.manifest.clone());
            }
        }
        // Files whose appearance makes a target (and so changes what cargo builds).
        for dir in &packages {
            for name in ["build.rs", "src/lib.rs", "src/main.rs"] {
                configuration.insert(dir.join(name));
            }
        }
        let mut scope = Vec::new();
        for manifest in &self.built.whole_packages {
            let Some(dir) = Path::new(manifest).parent() else {
                continue;
            };
            if !packages.contains(dir) {
                continue;
            }
            match crate::repo::repo_relative(dir, self.workdir) {
                Some(rel) if !rel.is_empty() => scope.push(rel),
                // The root package, or one git cannot see: every file it holds.
                _ => sources.extend(crate::inputs::files_under(dir).into_iter().filter(|f| {
                    self.is_input(f) && !f.components().any(|c| c.as_os_str() == ".git")
                })),
            }
        }
        // Directories (`rerun-if-changed=dir`) stand for every file in them too.
        let dirs: Vec<PathBuf> = sources.iter().filter(|p| p.is_dir()).cloned().collect();
        for dir in dirs {
            sources.extend(
                crate::inputs::files_under(&dir)
                    .into_iter()
                    .filter(|f| self.is_input(f)),
            );
        }
        configuration.insert(self.workspace_root.join("Cargo.toml"));
        configuration.insert(self.workspace_root.join("Cargo.lock"));
        configuration.extend(crate::cargo_config::CargoConfig::candidates(
            self.workspace_root,
        ));
        configuration.extend(crate::toolchain::toolchain_files(self.workspace_root));
        scope.sort();
        scope.dedup();
        Read {
            sources,
            configuration,
            scope,
        }
    }
}

fn required_features(worktree: &Worktree, binary: &Binary) -> Vec<String> {
    let graph = &worktree.snapshot.graph;
    graph
        .package_by_name(&binary.package)
        .and_then(|id| graph.package(id).bins().find(|t| t.name == binary.name))
        .map(|t| t.required_features.clone())
        .unwrap_or_default()
}

/// What `ensure` should make fresh.
#[derive(Clone, Debug, Default)]
pub struct EnsureOptions {
    /// The workspace manifest; `None` finds it from the current directory.
    pub manifest_path: Option<PathBuf>,
    /// The binary to spawn.
    pub binary: String,
    /// The package holding it, when its name is not unique.
    pub package: Option<String>,
    /// Also make everything it spawns fresh, in the same cargo run.
    pub cascade: bool,
    /// The profile; `None` is `RBEE_GRAPH_PROFILE`, else the configured one, else `dev`. A
    /// daemon that spawns binaries of its own profile passes [`Profile::current`].
    pub profile: Option<Profile>,
    /// Cargo's flags: features, target, `--locked`, ...
    pub cargo: CargoFlags,
    /// Where cargo's output goes when something must be built.
    pub output: CargoOutput,
}

/// The pre-spawn hook: makes sure `binary` (and with `cascade`, everything it spawns) is
/// fresh, building what is stale, and returns the absolute path to spawn.
///
/// When everything is fresh this runs no process at all. Concurrent callers serialise on the
/// engine's lock; the first builds, the others find the binaries fresh and return at once.
/// With auto-build off (configuration or `RBEE_GRAPH_AUTO_BUILD=0`), nothing is built: the
/// path is returned if the binary exists, with a warning when it is stale. Binaries the
/// cascade reaches that this machine cannot build (the `requires` configuration) are left
/// alone.
///
/// The work runs on a thread of the engine's: any async runtime works (tokio's
/// `current_thread` without drivers too, or another executor), and the caller's task is never
/// blocked. [`ensure_blocking`] is the same for synchronous callers.
pub async fn ensure(options: &EnsureOptions) -> Result<PathBuf> {
    let options = options.clone();
    off_thread(move || ensure_blocking(&options)).await
}

/// [`ensure`], on the calling thread.
pub fn ensure_blocking(options: &EnsureOptions) -> Result<PathBuf> {
    if let Some(path) = crate::quick::fresh_path(
        options.manifest_path.as_deref(),
        &options.binary,
        options.package.as_deref(),
        options.cascade,
        options.profile.as_ref(),
        &options.cargo,
    ) {
        return Ok(path);
    }
    let checked = check_for_ensure(options)?;
    let mut path = checked.path;
    if !checked.stale.is_empty() {
        let outcome = build_stale(&StaleBuild {
            manifest_path: options.manifest_path.clone(),
            state_dir: checked.state_dir.clone(),
            targets: checked.stale.clone(),
            profile: checked.profile.clone(),
            flags: options.cargo.clone(),
            output: options.output.clone(),
            force: false,
        })?;
        if let Some(built) = outcome.executables.get(&checked.binary) {
            path = Some(built.clone());
        }
    }
    match path {
        Some(path) => Ok(path),
        None => {
            // Auto-build is off for it and it is stale: hand out what exists.
            if checked.existing.is_file() {
                if let Some(verdict) = &checked.not_built {
                    warn_stale(verdict);
                }
                Ok(checked.existing)
            } else {
                Err(Error::NotBuilt {
                    binary: checked.binary.name.clone(),
                })
            }
        }
    }
}

/// What `ensure` found before building.
struct EnsureCheck {
    binary: Binary,
    profile: Profile,
    state_dir: PathBuf,
    /// The binary's path if it is fresh.
    path: Option<PathBuf>,
    /// The stale binaries `ensure` may build.
    stale: Vec<Binary>,
    /// The asked binary's verdict, when it is stale and auto-build is off for it.
    not_built: Option<Verdict>,
    /// Where the asked binary would be.
    existing: PathBuf,
}

fn check_for_ensure(options: &EnsureOptions) -> Result<EnsureCheck> {
    let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
    let graph = &worktree.snapshot.graph;
    let binary = select::binary(graph, &options.binary, options.package.as_deref())?;
    let targets = if options.cascade {
        select::cascade(graph, &worktree.snapshot.config.spawns, &binary)
    } else {
        vec![binary.clone()]
    };
    if let Some(why) = worktree.snapshot.config.unbuildable(&binary.name) {
        return Err(Error::Unbuildable {
            binary: binary.name,
            why,
        });
    }
    let profile = profile(&worktree, options.profile.as_ref());
    let mut checker = Checker::new(&worktree, &profile, &options.cargo)?;
    let mut stale = Vec::new();
    let mut path = None;
    let mut not_built = None;
    for target in &targets {
        if worktree.snapshot.config.unbuildable(&target.name).is_some() {
            continue;
        }
        let verdict = checker.check(target)?;
        if verdict.is_fresh() {
            if *target == binary {
                path = verdict.record.map(|r| r.executable);
            }
        } else if auto_build(&worktree, target) {
            stale.push(target.clone());
        } else if *target == binary {
            // Warned about only if there is a binary to hand out after all.
            not_built = Some(verdict);
        } else {
            warn_stale(&verdict);
        }
    }
    let existing = profile
        .output_dir(
            &worktree.target_directory,
            checker.explicit_target().then_some(checker.triple()),
        )
        .join(&binary.name);
    Ok(EnsureCheck {
        binary,
        state_dir: worktree.state_dir(),
        profile,
        path,
        stale,
        not_built,
        existing,
    })
}

fn warn_stale(verdict: &Verdict) {
    let why: Vec<String> = verdict.reasons.iter().map(StaleReason::describe).collect();
    tracing::warn!(
        "{} is stale but auto-build is off: {}",
        verdict.binary.name,
        why.join("; ")
    );
}

/// Whether `ensure` may build `binary`: `RBEE_GRAPH_AUTO_BUILD` (0/1, false/true, off/on)
/// overrides the configuration, which defaults to yes.
fn auto_build(worktree: &Worktree, binary: &Binary) -> bool {
    if let Ok(value) = std::env::var("RBEE_GRAPH_AUTO_BUILD") {
        return !matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "off" | "no"
        );
    }
    let config = &worktree.snapshot.config.auto_build;
    config
        .per_binary
        .get(&binary.name)
        .copied()
        .unwrap_or(config.default)
}

/// What `status` should look at.
#[derive(Clone, Debug, Default)]
pub struct StatusOptions {
    /// The workspace manifest; `None` finds it from the current directory.
    pub manifest_path: Option<PathBuf>,
    /// The profile whose records are compared; `None` is `RBEE_GRAPH_PROFILE`, else the
    /// configured one, else `dev`.
    pub profile: Option<Profile>,
    /// Cargo's flags: the features and target a build would be asked for.
    pub cargo: CargoFlags,
}

/// Every binary of the workspace with its verdict, in build order. This reads the disk and
/// hashes what moved, on the calling thread (milliseconds when little changed); from async
/// code, call it through `spawn_blocking` or your runtime's equivalent.
pub fn status(options: &StatusOptions) -> Result<(Profile, Vec<Verdict>)> {
    let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
    let profile = profile(&worktree, options.profile.as_ref());
    let verdicts = status_in(&worktree, &profile, &options.cargo)?;
    Ok((profile, verdicts))
}

/// [`status`] of an already loaded workspace.
pub fn status_in(
    worktree: &Worktree,
    profile: &Profile,
    flags: &CargoFlags,
) -> Result<Vec<Verdict>> {
    let mut checker = Checker::new(worktree, profile, flags)?;
    let graph = &worktree.snapshot.graph;
    let pairs = crate::rules::spawn_pairs(graph, &worktree.snapshot.config.spawns);
    let binaries = graph.order_binaries(graph.binaries().map(|(_, b)| b), &pairs)?;
    binaries
        .iter()
        .map(|b| {
            let mut verdict = checker.check(b)?;
            verdict.unbuildable = worktree.snapshot.config.unbuildable(&b.name);
            Ok(verdict)
        })
        .collect()
}
