//! The rebuild plan and the pre-spawn hook: which requested binaries are stale, building them
//! in one cargo run under the lock, and recording what was built.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rbee_graph_model::Binary;

use crate::error::{Error, Result};
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
    /// The profile; `None` is the configured one, else `dev`.
    pub profile: Option<Profile>,
}

/// What a build did.
#[derive(Clone, Debug, Default)]
pub struct BuildOutcome {
    /// The binaries that were stale and were built, in build order, with why.
    pub built: Vec<Verdict>,
    /// The binaries that were already fresh.
    pub fresh: Vec<Binary>,
    /// Where every requested binary is.
    pub executables: BTreeMap<Binary, PathBuf>,
}

/// Builds the stale subset of the requested binaries in one cargo run.
pub async fn build(options: &BuildOptions) -> Result<BuildOutcome> {
    // Everything that reads the repository happens outside the awaits, so that the future is
    // `Send` (gix's repository handle is not `Sync`).
    let (targets, profile, state_dir) = {
        let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
        let graph = &worktree.snapshot.graph;
        let mut targets = BTreeSet::new();
        for name in &options.binaries {
            targets.insert(select::binary(graph, name, options.package.as_deref())?);
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
    build_stale(
        options.manifest_path.as_deref(),
        &state_dir,
        &targets,
        &profile,
        options.force,
    )
    .await
}

/// The profile to use for `worktree`; see [`Profile::choose`].
pub fn profile(worktree: &Worktree, asked: Option<&Profile>) -> Profile {
    Profile::choose(asked, worktree.snapshot.config.profile.as_deref())
}

/// Takes the lock in `state_dir`, reads the workspace again and decides again what is stale
/// (another process may have built it meanwhile), builds that in one cargo run, and records it.
pub async fn build_stale(
    manifest_path: Option<&Path>,
    state_dir: &Path,
    targets: &[Binary],
    profile: &Profile,
    force: bool,
) -> Result<BuildOutcome> {
    let _lock = BuildLock::acquire(state_dir).await?;
    let plan = match Plan::prepare(manifest_path, targets, profile, force)? {
        Prepared::Fresh(outcome) => return Ok(outcome),
        Prepared::Build(plan) => plan,
    };
    let build = CargoBuild {
        manifest_path: &plan.manifest_path,
        profile,
        binaries: &plan.binaries,
    };
    let built = run::cargo_build(&plan.snapshot.graph, &plan.workdir, &build).await?;
    plan.record(profile, &built)
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
    output_dir: PathBuf,
    manifest_path: PathBuf,
    head: gix::ObjectId,
    dirty: BTreeMap<String, Option<String>>,
    stale: Vec<Verdict>,
    binaries: Vec<(Binary, Vec<String>)>,
    outcome: BuildOutcome,
    store: crate::record::RecordStore,
    triple: String,
    toolchain: String,
    environment: BTreeMap<String, String>,
}

impl Plan {
    /// Decides what is stale, snapshots the sources as the build starts, and makes cargo see
    /// the content changes it would miss by mtime.
    fn prepare(
        manifest_path: Option<&Path>,
        targets: &[Binary],
        profile: &Profile,
        force: bool,
    ) -> Result<Prepared> {
        let worktree = snapshot::load_worktree(manifest_path)?;
        let head = worktree.repo.head_commit()?.ok_or_else(no_commits)?;
        let mut checker = Checker::new(&worktree, profile)?;
        checker.limit_to(targets);
        let mut outcome = BuildOutcome::default();
        let mut stale = Vec::new();
        for binary in targets {
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
        for verdict in &stale {
            let why: Vec<String> = verdict.reasons.iter().map(StaleReason::describe).collect();
            tracing::info!("{} is stale: {}", verdict.binary.name, why.join("; "));
        }

        // What the sources look like as the build starts: that is what the records describe.
        let repo = &worktree.repo;
        let mut dirty = BTreeMap::new();
        for path in repo.changed_in_worktree(head)? {
            let hash = repo.hash_on_disk(&path)?.map(|id| id.to_string());
            dirty.insert(path, hash);
        }

        let output_dir = profile.output_dir(&worktree.target_directory);
        let mut touched = BTreeSet::new();
        for verdict in &stale {
            touched.extend(verdict.changed_files.iter().cloned());
            if !verdict.knows_what_changed() {
                // Nothing says which files changed since cargo last built this binary, and
                // cargo's mtimes may lie: make it recompile every local source it was built
                // from.
                let dep_info = output_dir.join(format!("{}.d", verdict.binary.name));
                for file in crate::depinfo::read(&dep_info).unwrap_or_default() {
                    if let Ok(rel) = file.strip_prefix(repo.workdir()) {
                        touched.insert(rel.to_string_lossy().into_owned());
                    }
                }
            }
        }
        run::touch(repo.workdir(), &touched);

        let binaries = stale
            .iter()
            .map(|v| (v.binary.clone(), required_features(&worktree, &v.binary)))
            .collect();
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
            ..
        } = worktree;
        Ok(Prepared::Build(Box::new(Plan {
            snapshot,
            workdir: repo.workdir().to_owned(),
            output_dir,
            manifest_path: workspace_root.join("Cargo.toml"),
            head,
            dirty,
            stale,
            binaries,
            outcome,
            store,
            triple,
            toolchain,
            environment,
        })))
    }

    /// Writes a record for every binary cargo built.
    fn record(self, profile: &Profile, built: &run::Built) -> Result<BuildOutcome> {
        let executables = &built.executables;
        // What cargo saw: the variables as this process has them (cargo inherited them).
        let env_deps: BTreeMap<String, Option<String>> = built
            .env_vars
            .iter()
            .map(|var| (var.clone(), std::env::var(var).ok()))
            .collect();
        let Plan {
            snapshot,
            workdir,
            output_dir,
            mut outcome,
            ..
        } = self;
        let graph = &snapshot.graph;
        for (binary, features) in &self.binaries {
            let executable = executables
                .get(binary)
                .cloned()
                .unwrap_or_else(|| output_dir.join(&binary.name));
            let dep_info = crate::depinfo::read(&output_dir.join(format!("{}.d", binary.name)));
            let reads = dep_info
                .map(|files| freshness::reads_outside_packages(graph, &workdir, binary, &files));
            let scope = freshness::scope_for(&snapshot, binary, reads.as_deref());
            let record = Record {
                schema: record::SCHEMA,
                binary: binary.clone(),
                profile: profile.name().to_owned(),
                target: self.triple.clone(),
                features: features.clone(),
                commit: self.head.to_string(),
                dirty: self.dirty.clone(),
                toolchain: self.toolchain.clone(),
                environment: self.environment.clone(),
                env_deps: env_deps.clone(),
                lock_entries: freshness::lock_entries(graph, snapshot.lock.as_ref(), binary),
                reads_outside_packages: reads,
                scope,
                executable_stamp: Stamp::of(&executable),
                executable: executable.clone(),
            };
            self.store.write(&record, profile)?;
            outcome.executables.insert(binary.clone(), executable);
        }
        outcome.built = self.stale;
        Ok(outcome)
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
    /// The profile; `None` is the configured one, else `dev`.
    pub profile: Option<Profile>,
}

/// The pre-spawn hook: makes sure `binary` (and with `cascade`, everything it spawns) is
/// fresh, building what is stale in one cargo run, and returns the absolute path to spawn.
///
/// When everything is fresh this runs no process at all. Concurrent callers serialise on the
/// engine's lock; the first builds, the others find the binaries fresh and return at once.
/// With auto-build off (configuration or `RBEE_GRAPH_AUTO_BUILD=0`), nothing is built: the
/// path is returned if the binary exists, with a warning when it is stale.
pub async fn ensure(options: &EnsureOptions) -> Result<PathBuf> {
    if let Some(path) = crate::quick::fresh_path(
        options.manifest_path.as_deref(),
        &options.binary,
        options.package.as_deref(),
        options.cascade,
        options.profile.as_ref(),
    ) {
        return Ok(path);
    }
    // The checks read the repository; they happen before any await, so that the future is
    // `Send` (gix's repository handle is not `Sync`) and a daemon can await it in its tasks.
    let checked = check_for_ensure(options)?;
    let mut path = checked.path;
    if !checked.stale.is_empty() {
        let outcome = build_stale(
            options.manifest_path.as_deref(),
            &checked.state_dir,
            &checked.stale,
            &checked.profile,
            false,
        )
        .await?;
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
    let profile = profile(&worktree, options.profile.as_ref());
    let mut checker = Checker::new(&worktree, &profile)?;
    checker.limit_to(&targets);
    let mut stale = Vec::new();
    let mut path = None;
    let mut not_built = None;
    for target in &targets {
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
        .output_dir(&worktree.target_directory)
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
    /// The profile; `None` is the configured one, else `dev`.
    pub profile: Option<Profile>,
}

/// Every binary of the workspace with its verdict, in build order.
pub fn status(options: &StatusOptions) -> Result<(Profile, Vec<Verdict>)> {
    let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
    let profile = profile(&worktree, options.profile.as_ref());
    let verdicts = status_in(&worktree, &profile)?;
    Ok((profile, verdicts))
}

/// [`status`] of an already loaded workspace.
pub fn status_in(worktree: &Worktree, profile: &Profile) -> Result<Vec<Verdict>> {
    let mut checker = Checker::new(worktree, profile)?;
    let graph = &worktree.snapshot.graph;
    let pairs = crate::rules::spawn_pairs(graph, &worktree.snapshot.config.spawns);
    let binaries = graph.order_binaries(graph.binaries().map(|(_, b)| b), &pairs)?;
    binaries.iter().map(|b| checker.check(b)).collect()
}
