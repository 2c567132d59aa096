//! `status`: every binary of the workspace with its verdict against its build record.

use std::path::PathBuf;

use crate::cargo::flags::CargoFlags;
use crate::cargo::profile::Profile;
use crate::cargo::snapshot::{self, Worktree};
use crate::error::Result;
use crate::observe::freshness::{Checker, Verdict};

/// The profile to use for `worktree`; see [`Profile::choose`].
pub fn profile(worktree: &Worktree, asked: Option<&Profile>) -> Profile {
    Profile::choose(asked, worktree.snapshot.config.profile.as_deref())
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
    let pairs = graph.spawn_pairs(&worktree.snapshot.config.spawns);
    let binaries = graph.order_binaries(graph.binaries().map(|(_, b)| b), &pairs)?;
    binaries
        .iter()
        .map(|b| {
            let mut verdict = checker.check(b)?;
            verdict.unbuildable =
                crate::observe::host::unbuildable(&worktree.snapshot.config, &b.name);
            Ok(verdict)
        })
        .collect()
}
