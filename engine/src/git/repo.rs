//! The repository, through gix: revisions, merge bases and what changed between two ends.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};

use crate::error::{Error, Result};

/// A git repository with a work tree.
pub struct Repo {
    pub(crate) repo: gix::Repository,
    workdir: PathBuf,
    /// The index, decoded once: the work-tree diff and the symlinks of the work tree both
    /// read it, and nothing the engine does writes it.
    pub(super) index: std::sync::OnceLock<std::sync::Arc<gix::index::File>>,
    /// Where walks of the whole work tree keep what they found in each directory; `None`:
    /// nowhere (see [`Repo::keep_untracked_walk_in`]).
    pub(super) untracked_cache: Option<PathBuf>,
}

/// One file of a commit's tree.
pub struct TreeFile {
    /// Repository-relative path.
    pub path: String,
    /// The blob id (for a symlink, the blob holds its target).
    pub id: ObjectId,
    /// Whether it is a symlink.
    pub symlink: bool,
}

impl Repo {
    /// Finds the repository holding `dir`, walking upwards like git does.
    pub fn discover(dir: &Path) -> Result<Repo> {
        let mut repo = gix::discover(dir).map_err(|_| Error::NotARepository(dir.to_owned()))?;
        // Trees are read again and again (one lookup per package directory walks the same
        // parent trees); a small cache saves re-inflating them.
        repo.object_cache_size_if_unset(4 * 1024 * 1024);
        let workdir = repo
            .workdir()
            .ok_or_else(|| Error::BareRepository(repo.git_dir().to_owned()))?;
        // gix hands back a relative work tree when discovered from a relative path.
        let workdir = workdir.canonicalize().map_err(Error::io(workdir))?;
        Ok(Repo {
            repo,
            workdir,
            index: std::sync::OnceLock::new(),
            untracked_cache: None,
        })
    }

    /// Keeps what walks of the whole work tree find in each directory in `file`, so that the
    /// next walk lists only the directories that changed (see `untracked_cache`).
    pub fn keep_untracked_walk_in(mut self, file: PathBuf) -> Repo {
        self.untracked_cache = Some(file);
        self
    }

    /// The root of the work tree, canonical.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Resolves `rev` (a branch, tag, sha, `HEAD~2`, `origin/main`, ...) to a commit.
    pub fn resolve_commit(&self, rev: &str) -> Result<ObjectId> {
        let unknown = |reason: String| Error::UnknownRevision {
            rev: rev.to_owned(),
            reason,
        };
        if rev.len() >= 40 && rev.bytes().all(|b| b == b'0') {
            return Err(unknown(
                "it is all zeros: there is no previous commit (a first push, a new branch); \
                 `--if-base-missing all` answers every binary instead"
                    .to_owned(),
            ));
        }
        let id = self.repo.rev_parse_single(BStr::new(rev)).map_err(|e| {
            // An ancestor or a commit id that a shallow clone cuts off, not a misspelled name.
            let reaches_back =
                rev.contains(['~', '^']) || rev.bytes().all(|b| b.is_ascii_hexdigit());
            if reaches_back && self.repo.is_shallow().unwrap_or(false) {
                unknown(
                    "it is not in this shallow clone; fetch more history (`git fetch --deepen=200 \
                     origin`, or `fetch-depth: 0` in actions/checkout)"
                        .to_owned(),
                )
            } else {
                // gix says what it could not parse and where; the user needs what to do.
                let said = crate::error::one_line(&e.to_string());
                let said = said.split(", input=").next().unwrap_or(&said).to_owned();
                unknown(format!(
                    "{said}; check the name, or `git fetch origin` if it is a remote branch"
                ))
            }
        })?;
        let commit = id
            .object()
            .map_err(|_| unknown("the commit is not in this clone".to_owned()))?
            .peel_to_commit()
            .map_err(|_| unknown("it does not name a commit".to_owned()))?;
        Ok(commit.id)
    }

    /// Whether the repository has this commit (a shallow clone or gc may have dropped it).
    pub fn has_commit(&self, id: ObjectId) -> bool {
        self.repo.find_commit(id).is_ok()
    }

    /// The commit HEAD points at, or `None` in a repository without commits.
    pub fn head_commit(&self) -> Result<Option<ObjectId>> {
        match self.repo.head_id() {
            Ok(id) => Ok(Some(id.detach())),
            Err(_) if self.repo.head().map(|h| h.is_unborn()).unwrap_or(false) => Ok(None),
            Err(e) => Err(Error::git(e)),
        }
    }

    /// Up to `n` (parent, commit) pairs along the first-parent history from `from`, newest
    /// first; it stops at the root commit or where a shallow clone's history ends.
    pub fn first_parent_pairs(&self, from: ObjectId, n: usize) -> Vec<(ObjectId, ObjectId)> {
        let mut pairs = Vec::new();
        let mut id = from;
        while pairs.len() < n {
            let Ok(commit) = self.repo.find_commit(id) else {
                break;
            };
            let Some(parent) = commit.parent_ids().next().map(|p| p.detach()) else {
                break;
            };
            if !self.has_commit(parent) {
                break;
            }
            pairs.push((parent, id));
            id = parent;
        }
        pairs
    }

    /// The best common ancestor of two commits (`git merge-base a b`).
    pub fn merge_base(&self, a: ObjectId, b: ObjectId, names: (&str, &str)) -> Result<ObjectId> {
        if a == b {
            return Ok(a);
        }
        let found = self.repo.merge_base(a, b);
        // In a shallow clone the merge base may lie beyond the cut: whatever the walk says
        // (nothing found, or a parent missing), the fix is more history.
        if !matches!(found, Ok(Some(_))) && self.repo.is_shallow().unwrap_or(false) {
            return Err(Error::ShallowClone {
                base: names.0.to_owned(),
                head: names.1.to_owned(),
            });
        }
        match found {
            Ok(Some(id)) => Ok(id.detach()),
            Ok(None) => Err(Error::NoMergeBase {
                base: names.0.to_owned(),
                head: names.1.to_owned(),
            }),
            // gix reports "no merge base" as an error too.
            Err(e) if e.to_string().contains("No merge base") => Err(Error::NoMergeBase {
                base: names.0.to_owned(),
                head: names.1.to_owned(),
            }),
            Err(e) => Err(Error::git(e)),
        }
    }

    pub(crate) fn tree_of(&self, commit: ObjectId) -> Result<gix::Tree<'_>> {
        self.repo
            .find_commit(commit)
            .map_err(Error::git)?
            .tree()
            .map_err(Error::git)
    }

    /// Every file path that differs between two commits' trees. A rename counts as a deletion
    /// plus an addition: both paths are in the set.
    pub fn changed_between(&self, old: ObjectId, new: ObjectId) -> Result<BTreeSet<String>> {
        let old_tree = self.tree_of(old)?;
        let new_tree = self.tree_of(new)?;
        // The plumbing diff: `Repository::diff_tree_to_tree` sets up a resource cache for
        // content diffs first, which reads the attributes and so decodes the whole index.
        let mut recorder = gix::diff::tree::Recorder::default();
        gix::diff::tree(
            gix::objs::TreeRefIter::from_bytes(&old_tree.data, self.repo.object_hash()),
            gix::objs::TreeRefIter::from_bytes(&new_tree.data, self.repo.object_hash()),
            gix::diff::tree::State::default(),
            &self.repo.objects,
            &mut recorder,
        )
        .map_err(Error::git)?;
        use gix::diff::tree::recorder::Change;
        Ok(recorder
            .records
            .into_iter()
            .filter_map(|change| match change {
                Change::Addition {
                    entry_mode, path, ..
                }
                | Change::Deletion {
                    entry_mode, path, ..
                }
                | Change::Modification {
                    entry_mode, path, ..
                } => (!entry_mode.is_tree()).then(|| path.to_str_lossy().into_owned()),
            })
            .collect())
    }

    /// Every file path whose content on disk differs from `commit`: staged, unstaged, deleted
    /// and untracked files that git does not ignore (see [`Repo::changed_in_worktree_under`]).
    pub fn changed_in_worktree(&self, commit: ObjectId) -> Result<BTreeSet<String>> {
        self.changed_in_worktree_under(commit, &[])
    }

    /// The blob id git would give the file at `path` now, or `None` if it does not exist.
    pub fn hash_on_disk(&self, path: &str) -> Result<Option<ObjectId>> {
        hash_file(&self.workdir.join(path), self.repo.object_hash())
    }

    /// The content of `path` in `commit`, or `None` if the commit has no such file.
    pub fn read_at(&self, commit: ObjectId, path: &str) -> Result<Option<Vec<u8>>> {
        let tree = self.tree_of(commit)?;
        let Some(entry) = tree.lookup_entry_by_path(path).map_err(Error::git)? else {
            return Ok(None);
        };
        if !entry.mode().is_blob() {
            return Ok(None);
        }
        let object = entry.object().map_err(Error::git)?;
        Ok(Some(object.detach().data))
    }

    /// Reads a blob by id.
    pub fn read_blob(&self, id: ObjectId) -> Result<Vec<u8>> {
        Ok(self.repo.find_object(id).map_err(Error::git)?.detach().data)
    }

    /// Every file (blob) of a commit's tree, in tree order.
    pub fn files_at(&self, commit: ObjectId) -> Result<Vec<TreeFile>> {
        let tree = self.tree_of(commit)?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .map_err(Error::git)?;
        Ok(recorder
            .records
            .into_iter()
            .filter(|e| e.mode.is_blob() || e.mode.is_link())
            .map(|e| TreeFile {
                path: e.filepath.to_str_lossy().into_owned(),
                id: e.oid,
                symlink: e.mode.is_link(),
            })
            .collect())
    }
}

/// `path` relative to the repository root `workdir`, also when one of them was reached
/// through a symlink (a workspace under a linked directory, macOS's `/tmp`): as given, then
/// against the canonical root, then both canonical. `None` outside the repository.
pub(crate) fn repo_relative(path: &Path, workdir: &Path) -> Option<String> {
    use rbee_graph_model::path::{normalize, relative_to};
    let path = normalize(path);
    relative_to(&path, workdir).or_else(|| {
        let root = std::fs::canonicalize(workdir).ok()?;
        relative_to(&path, &root).or_else(|| {
            let path = std::fs::canonicalize(&path).ok()?;
            relative_to(&path, &root)
        })
    })
}

/// The blob id git would give the file at `full` (a symlink: its target), or `None` if there
/// is no such file.
pub(crate) fn hash_file(full: &Path, hash: gix::hash::Kind) -> Result<Option<ObjectId>> {
    let bytes = match std::fs::symlink_metadata(full) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(e) => {
            return Err(Error::Io {
                path: full.to_owned(),
                error: e,
            });
        }
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = std::fs::read_link(full).map_err(Error::io(full))?;
            target.as_os_str().as_encoded_bytes().to_vec()
        }
        Ok(meta) if meta.is_dir() => return Ok(None),
        Ok(_) => std::fs::read(full).map_err(Error::io(full))?,
    };
    gix::objs::compute_hash(hash, gix::objs::Kind::Blob, &bytes)
        .map(Some)
        .map_err(Error::git)
}
