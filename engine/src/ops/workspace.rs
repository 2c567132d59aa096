//! The workspace as the engine sees it (`rbee-graph graph`), and the read maps of its last
//! builds (`rbee-graph reads`).

use std::path::Path;

use crate::cargo::snapshot::{self, Snapshot};
use crate::error::Result;
use crate::records::read_map::ReadMaps;

/// The workspace on disk: its graph (from `cargo metadata`, cached), lock file and
/// configuration. `manifest_path` `None` finds it from the current directory, as cargo does.
pub fn workspace(manifest_path: Option<&Path>) -> Result<Snapshot> {
    Ok(snapshot::load_worktree(manifest_path)?.snapshot)
}

/// What each binary's last build (as recorded in the target directory) read: the read maps
/// `affected --base` uses, to be stored for a CI job that has no records of its own.
pub fn read_maps(manifest_path: Option<&Path>) -> Result<ReadMaps> {
    let worktree = snapshot::load_worktree(manifest_path)?;
    Ok(ReadMaps::from_records(
        &worktree.state_dir(),
        worktree.repo.workdir(),
    ))
}
