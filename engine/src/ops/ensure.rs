//! `ensure`: the pre-spawn hook. A fresh binary's path, building it (and with a cascade,
//! everything it spawns) when it is stale.

use crate::ops::build::off_thread;
use crate::ops::plan::{StaleBuild, build_stale};
use crate::ops::status::profile;
use std::path::PathBuf;

use rbee_graph_model::Binary;

use crate::cargo::flags::CargoFlags;
use crate::cargo::output::CargoOutput;
use crate::cargo::profile::Profile;
use crate::cargo::snapshot::{self, Worktree};
use crate::error::{Error, Result};
use crate::observe::freshness::{Checker, Verdict};
use crate::ops::select;

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
    if let Some(path) = crate::observe::quick::fresh_path(
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
    if let Some(why) = crate::observe::host::unbuildable(&worktree.snapshot.config, &binary.name) {
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
        if crate::observe::host::unbuildable(&worktree.snapshot.config, &target.name).is_some() {
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
    // The reasons are typed; `rbee-graph explain` renders them for people.
    tracing::warn!(
        reasons = ?verdict.reasons,
        "{} is stale but auto-build is off; `rbee-graph explain {}` says why",
        verdict.binary.name,
        verdict.binary.name,
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
