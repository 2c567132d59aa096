//! What differs between a commit and the work tree, within a few directories only.
//!
//! gix's status compares the whole index and walks the whole work tree even when given
//! pathspecs (it walks from their common prefix). A freshness check of one binary needs only
//! the directories of the packages it depends on, which in a large monorepo is a small part of
//! the tree. This walks exactly those: the commit's subtrees, the index entries below each
//! directory (a binary search in the sorted index), one `lstat` per entry (a file whose stat
//! matches its index entry is not read, as in git), and the untracked files that git does not
//! ignore.

use std::collections::{BTreeMap, BTreeSet};

use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};

use crate::error::{Error, Result};
use crate::repo::Repo;

impl Repo {
    /// [`Repo::changed_in_worktree`] limited to `scope`: repository-relative files and
    /// directories (a directory stands for everything below it); empty means everything.
    ///
    /// The answer is by content: a path is in it when the file on disk (or its absence) differs
    /// from the commit, whatever the index says in between.
    pub fn changed_in_worktree_under(
        &self,
        commit: ObjectId,
        scope: &[String],
    ) -> Result<BTreeSet<String>> {
        if scope.is_empty() || scope.iter().any(|s| s.is_empty()) {
            return self.changed_in_worktree(commit);
        }
        let tree = self.tree_of(commit)?;
        // The index is read without verifying its trailing checksum (as git does with
        // `index.skipHash`): hashing a large index costs more than the whole scoped walk.
        let index_path = self.repo.index_path();
        let index = if index_path.is_file() {
            gix::index::File::at(
                &index_path,
                self.repo.object_hash(),
                true,
                Default::default(),
            )
            .map_err(Error::git)?
        } else {
            let empty = gix::index::State::new(self.repo.object_hash());
            gix::index::File::from_state(empty, index_path)
        };
        let mut excludes = self
            .repo
            .excludes(&index, None, Default::default())
            .map_err(Error::git)?;
        let options = gix::index::entry::stat::Options::default();
        let mut changed = BTreeSet::new();
        for root in outermost(scope) {
            let mut in_index: BTreeMap<String, &gix::index::Entry> = BTreeMap::new();
            for entry in index.prefixed_entries(BStr::new(&root)).unwrap_or_default() {
                let path = entry.path(&index).to_str_lossy().into_owned();
                if is_within(&path, &root) {
                    in_index.insert(path, entry);
                }
            }
            let in_tree = match unchanged_in_index(&tree, &index, &root)? {
                // The index's cache of tree ids says this directory is as the commit has it:
                // its entries are the commit's files, no tree needs to be read.
                true => in_index
                    .iter()
                    .map(|(path, entry)| (path.clone(), entry.id))
                    .collect(),
                false => tree_files(&tree, &root)?,
            };
            for (path, entry) in &in_index {
                let now = self.indexed_file_now(path, entry, &index, options)?;
                if now != in_tree.get(path).copied() {
                    changed.insert(path.clone());
                }
            }
            for (path, id) in &in_tree {
                if !in_index.contains_key(path) && self.hash_on_disk(path)? != Some(*id) {
                    changed.insert(path.clone());
                }
            }
            let mut untracked = Vec::new();
            self.walk_untracked(&root, &in_index, &mut excludes, &mut untracked)?;
            changed.extend(untracked.into_iter().filter(|p| !in_tree.contains_key(p)));
        }
        Ok(changed)
    }

    /// The blob id of the file an index entry describes, as it is on disk now (`None`: gone).
    /// When its stat still matches the entry (and the entry is not racily clean), the index's
    /// id is trusted and the file is not read.
    fn indexed_file_now(
        &self,
        path: &str,
        entry: &gix::index::Entry,
        index: &gix::index::State,
        options: gix::index::entry::stat::Options,
    ) -> Result<Option<ObjectId>> {
        if entry.mode.is_submodule() {
            return Ok(Some(entry.id));
        }
        let full = self.workdir().join(path);
        let meta = match gix::index::fs::Metadata::from_path_no_follow(&full) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(20) => return Ok(None), // ENOTDIR: a parent is a file now
            Err(e) => {
                return Err(Error::Io {
                    path: full,
                    source: e,
                });
            }
        };
        if let Ok(stat) = gix::index::entry::Stat::from_fs(&meta)
            && entry.stat.matches(&stat, options)
            && !entry.stat.is_racy(index.timestamp(), options)
        {
            return Ok(Some(entry.id));
        }
        self.hash_on_disk(path)
    }

    /// Collects the files below `dir` (repository-relative) that are neither in the index nor
    /// ignored, not descending into ignored directories or nested repositories.
    fn walk_untracked(
        &self,
        dir: &str,
        in_index: &BTreeMap<String, &gix::index::Entry>,
        excludes: &mut gix::AttributeStack<'_>,
        out: &mut Vec<String>,
    ) -> Result<()> {
        let full = self.workdir().join(dir);
        let meta = match std::fs::symlink_metadata(&full) {
            Ok(meta) => meta,
            Err(_) => return Ok(()),
        };
        if !meta.is_dir() {
            if !in_index.contains_key(dir) && !is_excluded(excludes, dir, false)? {
                out.push(dir.to_owned());
            }
            return Ok(());
        }
        let entries = std::fs::read_dir(&full).map_err(Error::io(&full))?;
        for entry in entries {
            let entry = entry.map_err(Error::io(&full))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                // git would list it; so do we, lossily, so the change is not missed.
                out.push(format!("{dir}/{}", name.to_string_lossy()));
                continue;
            };
            if name == ".git" {
                continue;
            }
            let path = format!("{dir}/{name}");
            let kind = entry.file_type().map_err(Error::io(entry.path()))?;
            if kind.is_dir() {
                let nested_repository = entry.path().join(".git").exists();
                if !nested_repository && !is_excluded(excludes, &path, true)? {
                    self.walk_untracked(&path, in_index, excludes, out)?;
                }
            } else if !in_index.contains_key(&path) && !is_excluded(excludes, &path, false)? {
                out.push(path);
            }
        }
        Ok(())
    }
}

fn is_excluded(excludes: &mut gix::AttributeStack<'_>, path: &str, is_dir: bool) -> Result<bool> {
    let mode = is_dir.then_some(gix::index::entry::Mode::DIR);
    Ok(excludes
        .at_entry(BStr::new(path), mode)
        .map_err(Error::git)?
        .is_excluded())
}

/// Whether the index's cache-tree extension records, for directory `root`, the very tree id
/// `tree` has there (and is valid for it), which means the index entries below `root` are
/// exactly the tree's files.
fn unchanged_in_index(tree: &gix::Tree<'_>, index: &gix::index::State, root: &str) -> Result<bool> {
    let Some(mut node) = index.tree() else {
        return Ok(false);
    };
    for name in root.split('/') {
        match node
            .children
            .iter()
            .find(|child| child.name.as_slice() == name.as_bytes())
        {
            Some(child) => node = child,
            None => return Ok(false),
        }
    }
    if node.num_entries.is_none() {
        return Ok(false);
    }
    let entry = tree.lookup_entry_by_path(root).map_err(Error::git)?;
    Ok(entry.is_some_and(|e| e.mode().is_tree() && e.object_id() == node.id))
}

/// The files of `commit`'s tree at or below `root`, with their blob ids.
fn tree_files(tree: &gix::Tree<'_>, root: &str) -> Result<BTreeMap<String, ObjectId>> {
    let mut files = BTreeMap::new();
    let Some(entry) = tree.lookup_entry_by_path(root).map_err(Error::git)? else {
        return Ok(files);
    };
    if !entry.mode().is_tree() {
        files.insert(root.to_owned(), entry.object_id());
        return Ok(files);
    }
    let subtree = entry.object().map_err(Error::git)?.into_tree();
    let mut recorder = gix::traverse::tree::Recorder::default();
    subtree
        .traverse()
        .breadthfirst(&mut recorder)
        .map_err(Error::git)?;
    for record in recorder.records {
        if !record.mode.is_tree() {
            files.insert(
                format!("{root}/{}", record.filepath.to_str_lossy()),
                record.oid,
            );
        }
    }
    Ok(files)
}

/// `scope` without the entries that lie inside another entry.
fn outermost(scope: &[String]) -> Vec<String> {
    let sorted: BTreeSet<&String> = scope.iter().collect();
    let mut out: Vec<String> = Vec::new();
    for path in sorted {
        if !out.iter().any(|kept| is_within(path, kept)) {
            out.push(path.trim_end_matches('/').to_owned());
        }
    }
    out
}

fn is_within(path: &str, dir: &str) -> bool {
    path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}
