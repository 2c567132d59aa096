//! Git, through gix (never a `git` process): the repository and its revisions, what changed
//! between two commits or between a commit and the work tree, blobs and trees, hashing files
//! the way git does.

pub(crate) mod commit_id;
pub(crate) mod repo;
pub(crate) mod symlinks;
mod untracked_cache;
pub(crate) mod worktree_diff;

#[cfg(test)]
mod against_git_cli;
