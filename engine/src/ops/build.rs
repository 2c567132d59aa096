//! `build`: the stale subset of the requested binaries, built in as few cargo runs as their
//! features allow, under the lock of the target directory, and recorded.

use crate::ops::plan::{BuildOutcome, StaleBuild, build_stale};
use crate::ops::status::profile;
use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::cargo::flags::CargoFlags;
use crate::cargo::output::CargoOutput;
use crate::cargo::profile::Profile;
use crate::cargo::snapshot::{self};
use crate::error::{Error, Result};
use crate::ops::select;

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
            if let Some(why) =
                crate::observe::host::unbuildable(&worktree.snapshot.config, &binary.name)
            {
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
