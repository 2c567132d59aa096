//! A build about to run: decided again under the lock, split into cargo runs, with everything
//! the records will say gathered before cargo starts, and written after it finished.

use crate::cargo::output::CargoOutput;
use crate::records::capture::InputCollector;
use rbee_graph_model::rules::config::Unbuildable;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rbee_graph_model::{Binary, WorkspaceGraph};

use std::time::SystemTime;

use crate::cargo::flags::{CargoFlags, FeatureRequest};
use crate::cargo::profile::Profile;
use crate::cargo::run::{self, CargoBuild};
use crate::cargo::snapshot::{self, Worktree};
use crate::error::{Error, Result};
use crate::observe::freshness::{self, Checker, StaleReason, Verdict};
use crate::records::compiled::Compiled;
use crate::records::format::Record;
use crate::records::lock::BuildLock;
use crate::stamp::Stamp;

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
    store: crate::records::format::RecordStore,
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
            if let Some(why) =
                crate::observe::host::unbuildable(&worktree.snapshot.config, &binary.name)
            {
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
        let pairs = graph.spawn_pairs(&worktree.snapshot.config.spawns);
        let order = graph.order_binaries(stale.iter().map(|v| v.binary.clone()), &pairs)?;
        stale.sort_by_key(|v| order.iter().position(|b| *b == v.binary));
        let output_dir = profile.output_dir(
            &worktree.target_directory,
            checker.explicit_target().then_some(checker.triple()),
        );
        refuse_same_output(&stale, &output_dir)?;
        for verdict in &stale {
            // The outcome carries the reasons for the caller to render; the log names them.
            tracing::info!(reasons = ?verdict.reasons, "{} is stale", verdict.binary.name);
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
            let sources = crate::cargo::depinfo::read(&dep_info).unwrap_or_default();
            let recorded_elsewhere = verdict.reasons.iter().find_map(|r| match r {
                StaleReason::OtherWorkspace(root) => Some(root.clone()),
                _ => None,
            });
            // A plain `cargo build` in another worktree leaves no record, only its paths in
            // the binary's dep-info (cargo rewrites it there on every build, also one that
            // found the binary fresh).
            let other = recorded_elsewhere.or_else(|| {
                let src = own_source(&worktree, &verdict.binary)?;
                built_in_other_workspace(&sources, &src, &worktree.workspace_root)
            });
            if let Some(other) = &other {
                // Cargo hashes path packages by their path in the workspace, so another
                // worktree's build left artifacts cargo takes for this one's (cargo#17312):
                // the same files here must look newer than that build. The other checkout's
                // own files are left alone.
                touched.extend(sources.iter().filter_map(|f| {
                    let rel = f.strip_prefix(other).ok()?;
                    Some(worktree.workspace_root.join(rel))
                }));
            }
            let ours = |f: &&PathBuf| other.as_ref().is_none_or(|o| !f.starts_with(o));
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
                        .filter(ours)
                        .filter(|f| {
                            f.is_absolute() && (rebuild_all || !compiled_as_it_is(f, compiled))
                        })
                        .cloned(),
                );
            }
            known.extend(sources);
        }
        run::touch(repo.workdir(), &touched);
        // A touched file has a new mtime: it must be known as it is now, or it would look
        // edited during the build.
        known.extend(touched.iter().cloned());
        let before = crate::records::compiled::stamps(known.iter().map(PathBuf::as_path));

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
        let run_compiled: Option<BTreeSet<String>> = built.compiled_externals().map(|set| {
            set.into_iter()
                .map(|c| format!("{} {}", c.name, c.version))
                .collect()
        });
        for binary in &run.binaries {
            let Some(executable) = built.executables.get(binary).cloned() else {
                // Cargo did not build it: the old record, if any, stays (and says stale).
                continue;
            };
            let read = collector.read_by(binary, &executable);
            let mut inputs = crate::records::inputs::Inputs::new();
            for path in read
                .sources
                .iter()
                .chain(&read.configuration)
                .chain(&manifests)
            {
                inputs
                    .entry(path.clone())
                    .or_insert_with(|| crate::records::inputs::fingerprint(path));
            }
            crate::records::inputs::settle(&mut inputs, &self.before, started);
            settle_lock_file(&mut inputs, &self.workspace_root, built);
            crate::records::inputs::keep_nameable(&mut inputs);
            self.compiled.update(
                read.sources
                    .iter()
                    .filter_map(|path| inputs.get_key_value(path)),
            );
            let externals = freshness::binary_externals(
                &self.snapshot.graph,
                self.snapshot.lock().is_some(),
                binary,
                run_compiled.as_ref(),
            );
            let record = Record {
                schema: crate::records::format::SCHEMA,
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
                    self.snapshot.lock(),
                    binary,
                    externals.as_ref(),
                ),
                externals,
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
        for file in crate::cargo::depinfo::read(&path).unwrap_or_default() {
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
fn settle_lock_file(
    inputs: &mut crate::records::inputs::Inputs,
    workspace_root: &Path,
    built: &run::Built,
) {
    let lock = workspace_root.join("Cargo.lock");
    let Some(input) = inputs.get_mut(&lock) else {
        return;
    };
    let written = std::fs::metadata(&lock).and_then(|m| m.modified()).ok();
    if input.content == crate::records::inputs::Content::Unsettled
        && let (Some(written), Some(first)) = (written, built.first_message)
        && written <= first
    {
        *input = crate::records::inputs::fingerprint(&lock);
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

fn required_features(worktree: &Worktree, binary: &Binary) -> Vec<String> {
    let graph = &worktree.snapshot.graph;
    graph
        .package_by_name(&binary.package)
        .and_then(|id| graph.package(id).bins().find(|t| t.name == binary.name))
        .map(|t| t.required_features.clone())
        .unwrap_or_default()
}

fn no_commits() -> Error {
    Error::UnknownRevision {
        rev: "HEAD".to_owned(),
        reason: "the repository has no commits yet; commit once so builds can be recorded"
            .to_owned(),
    }
}
