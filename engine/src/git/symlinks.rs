//! The symlinks of one end of a comparison. Git compares a symlink by its target text and never
//! looks through it, but cargo does: a package whose `src` links to another package's `src`
//! (gitoxide's `gix-packetline-blocking`) builds the files under the target. The path rules get
//! each changed path also as it is seen through the links ([`seen_through_links`]).
//!
//! [`seen_through_links`]: rbee_graph_model::path::seen_through_links

use std::collections::BTreeSet;

use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};
use rbee_graph_model::path::{RepoPath, link_target};

use super::repo::Repo;
use crate::error::{Error, Result};

impl Repo {
    /// The symlinks of the work tree that point inside the repository, with where they point:
    /// those the index tracks, and among `changed` the untracked ones.
    pub fn symlinks_in_worktree(
        &self,
        changed: &BTreeSet<String>,
    ) -> Result<Vec<(RepoPath, RepoPath)>> {
        let index = self.read_index()?;
        let tracked = index
            .entries()
            .iter()
            .filter(|e| e.mode == gix::index::entry::Mode::SYMLINK)
            .map(|e| e.path(&index).to_str_lossy().into_owned());
        let untracked = changed
            .iter()
            .filter(|path| index.entry_by_path(BStr::new(path.as_str())).is_none())
            .cloned();
        let mut links = Vec::new();
        for path in tracked.chain(untracked) {
            // Not a symlink on disk (any more): nothing is seen through it.
            let Ok(target) = std::fs::read_link(self.workdir().join(&path)) else {
                continue;
            };
            if let Some(target) = link_target(&path, &target.to_string_lossy()) {
                links.push((path, target));
            }
        }
        Ok(links)
    }

    /// The symlinks of a commit's tree that point inside the repository, with where they
    /// point, given the paths where the work tree differs from that commit (`differs`): the
    /// work tree's tracked links elsewhere (the index is far cheaper to read than a whole
    /// tree), and among `differs` the commit's own.
    pub fn symlinks_at(
        &self,
        commit: ObjectId,
        differs: &BTreeSet<String>,
    ) -> Result<Vec<(RepoPath, RepoPath)>> {
        let mut links = self.symlinks_in_worktree(&BTreeSet::new())?;
        links.retain(|(path, _)| !differs.contains(path));
        let tree = self.tree_of(commit)?;
        for path in differs {
            let Some(entry) = tree.lookup_entry_by_path(path).map_err(Error::git)? else {
                continue;
            };
            if !entry.mode().is_link() {
                continue;
            }
            let target = self.read_blob(entry.object_id())?;
            if let Some(target) = link_target(path, &String::from_utf8_lossy(&target)) {
                links.push((path.clone(), target));
            }
        }
        links.sort();
        Ok(links)
    }
}
