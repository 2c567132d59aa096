//! What differs between a commit and the work tree, by content, for the whole repository or
//! a few directories.
//!
//! This is git's status, done the way git does it cheaply: the work tree is compared with the
//! commit HEAD points at through the index (an `lstat` per entry; a file whose stat matches
//! its index entry is not read), the index's cache-tree extension answers "is this directory
//! as HEAD has it" without reading trees, and untracked files come from walking the
//! directories that git does not ignore. Another commit is reached through a tree diff from
//! HEAD, which skips identical subtrees.
//!
//! A freshness check of one binary needs only the directories of the packages it depends on,
//! which in a large monorepo is a small part of the tree: with a scope, nothing outside it is
//! compared or walked. (gix's status walks from the pathspecs' common prefix, which for
//! `crates/a` and `crates/b` is all of `crates/`.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};

use rbee_graph_model::path::is_within;

use crate::error::{Error, Result};
use crate::git::repo::Repo;
use crate::git::untracked_cache::{Found, UntrackedCache};

impl Repo {
    /// Every path whose content on disk differs from `commit` (deleted and untracked files
    /// that git does not ignore included), within `scope`: repository-relative files and
    /// directories, a directory standing for everything below it; empty means everything.
    pub fn changed_in_worktree_under(
        &self,
        commit: ObjectId,
        scope: &[String],
    ) -> Result<BTreeSet<String>> {
        let roots = if scope.is_empty() || scope.iter().any(|s| s.is_empty()) {
            vec![String::new()]
        } else {
            outermost(scope)
        };
        // The index describes HEAD; compare the work tree with HEAD, then step to `commit`.
        let head = self.head_commit()?.unwrap_or(commit);
        let mut changed = self.changed_since_tree(head, &roots)?;
        if head != commit {
            let tree = self.tree_of(commit)?;
            for path in self.changed_between(commit, head)? {
                if !roots.iter().any(|root| is_within(&path, root)) {
                    continue;
                }
                if changed.contains(&path) {
                    // Differs from HEAD on disk and between the commits: compare directly.
                    let then = tree.lookup_entry_by_path(&path).map_err(Error::git)?;
                    if self.hash_on_disk(&path)? == then.map(|e| e.object_id()) {
                        changed.remove(&path);
                    }
                } else {
                    changed.insert(path);
                }
            }
        }
        Ok(changed)
    }

    /// The paths below `roots` whose content on disk differs from `commit`'s tree, where the
    /// index's cache-tree describes `commit` (it is HEAD).
    fn changed_since_tree(&self, commit: ObjectId, roots: &[String]) -> Result<BTreeSet<String>> {
        let tree = self.tree_of(commit)?;
        let index = self.read_index()?;
        let mut excludes = self
            .repo
            .excludes(&index, None, Default::default())
            .map_err(Error::git)?;
        let mut changed = BTreeSet::new();
        for root in roots {
            let range = entries_below(&index, root);
            let entries = &index.entries()[range.clone()];
            // What the tree has where the index does not describe it (directories whose
            // cache-tree entry is missing or stale); everywhere else the tree is the index.
            let mut staged = TreeAgainstIndex::default();
            self.tree_files(&tree, &index, root, &mut staged)?;
            let mut covered = vec![false; entries.len()];
            for dir in &staged.covered {
                let dir_range = entries_below(&index, dir);
                let start = dir_range.start.max(range.start);
                let end = dir_range.end.min(range.end);
                for slot in covered
                    .iter_mut()
                    .take(end.saturating_sub(range.start))
                    .skip(start - range.start)
                {
                    *slot = true;
                }
            }
            // The stats of the index entries and the walk for untracked files read different
            // things: they run side by side (git runs them one after the other).
            let (workdir, hash) = (self.workdir(), self.repo.object_hash());
            let mut untracked = Vec::new();
            let mut cache = self
                .untracked_cache
                .as_deref()
                .filter(|_| root.is_empty())
                .map(|file| UntrackedCache::load(file, &self.repo, workdir, &index));
            let (now, walked) = std::thread::scope(|scope| {
                let stats =
                    scope.spawn(|| index_entries_now(workdir, hash, &index, entries, &covered));
                let walked =
                    self.walk_untracked(root, &index, &mut excludes, &mut untracked, &mut cache);
                let now = stats
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (now, walked)
            });
            let now = now?;
            walked?;
            if let Some(cache) = cache {
                cache.save();
            }
            for ((entry, now), covered) in entries.iter().zip(now).zip(covered) {
                let path = entry.path(&index);
                let then = if covered {
                    Some(entry.id)
                } else {
                    staged.files.get(path.to_str_lossy().as_ref()).copied()
                };
                if now != then {
                    changed.insert(path.to_str_lossy().into_owned());
                }
            }
            for (path, id) in &staged.files {
                if index.entry_by_path(BStr::new(path)).is_none()
                    && self.hash_on_disk(path)? != Some(*id)
                {
                    changed.insert(path.clone());
                }
            }
            changed.extend(
                untracked
                    .into_iter()
                    .filter(|p| !staged.files.contains_key(p)),
            );
        }
        Ok(changed)
    }

    /// The index, read without verifying its trailing checksum (as git does with
    /// `index.skipHash`): hashing a large index costs more than a whole scoped walk. Read once
    /// per [`Repo`].
    pub(super) fn read_index(&self) -> Result<std::sync::Arc<gix::index::File>> {
        if let Some(index) = self.index.get() {
            return Ok(index.clone());
        }
        let path = self.repo.index_path();
        let index = if path.is_file() {
            gix::index::File::at(&path, self.repo.object_hash(), true, Default::default())
                .map_err(Error::git)?
        } else {
            let empty = gix::index::State::new(self.repo.object_hash());
            gix::index::File::from_state(empty, path)
        };
        Ok(self
            .index
            .get_or_init(|| std::sync::Arc::new(index))
            .clone())
    }

    /// What `tree` has at or below `root`, as far as the index does not already say it: the
    /// directories whose cache-tree entry in the index is valid and names the same tree are
    /// only noted as covered; the files of the others are listed with their blob ids.
    fn tree_files(
        &self,
        tree: &gix::Tree<'_>,
        index: &gix::index::State,
        root: &str,
        out: &mut TreeAgainstIndex,
    ) -> Result<()> {
        let id = if root.is_empty() {
            tree.id
        } else {
            match tree.lookup_entry_by_path(root).map_err(Error::git)? {
                None => return Ok(()),
                Some(entry) if !entry.mode().is_tree() => {
                    out.files.insert(root.to_owned(), entry.object_id());
                    return Ok(());
                }
                Some(entry) => entry.object_id(),
            }
        };
        let mut cache = index.tree();
        for name in root.split('/').filter(|n| !n.is_empty()) {
            cache = cache.and_then(|node| {
                node.children
                    .iter()
                    .find(|c| c.name.as_slice() == name.as_bytes())
            });
        }
        self.tree_files_below(id, root, cache, out)
    }

    fn tree_files_below(
        &self,
        id: ObjectId,
        prefix: &str,
        cache: Option<&gix::index::extension::Tree>,
        out: &mut TreeAgainstIndex,
    ) -> Result<()> {
        if cache.is_some_and(|node| node.num_entries.is_some() && node.id == id) {
            out.covered.push(prefix.to_owned());
            return Ok(());
        }
        let tree = self.repo.find_tree(id).map_err(Error::git)?;
        for entry in tree.iter() {
            let entry = entry.map_err(Error::git)?;
            let name = entry.filename().to_str_lossy();
            let path = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            if entry.mode().is_tree() {
                let child = cache.and_then(|node| {
                    node.children
                        .iter()
                        .find(|c| c.name.as_slice() == entry.filename().as_bytes())
                });
                self.tree_files_below(entry.object_id(), &path, child, out)?;
            } else {
                out.files.insert(path, entry.object_id());
            }
        }
        Ok(())
    }

    /// Collects the files at or below `path` (repository-relative; empty: the root) that are
    /// neither in the index nor ignored, not descending into ignored directories or nested
    /// repositories.
    fn walk_untracked(
        &self,
        path: &str,
        index: &gix::index::State,
        excludes: &mut gix::AttributeStack<'_>,
        out: &mut Vec<String>,
        cache: &mut Option<UntrackedCache>,
    ) -> Result<()> {
        let full = self.workdir().join(path);
        let Ok(meta) = std::fs::symlink_metadata(&full) else {
            return Ok(());
        };
        if !meta.is_dir() {
            if !is_indexed(index, path.as_bytes())
                && !is_excluded(excludes, path.as_bytes(), false)?
            {
                out.push(path.to_owned());
            }
            return Ok(());
        }
        UntrackedWalk {
            index,
            excludes,
            cache,
            out,
        }
        .dir(&full, path.as_bytes(), true)
    }
}

/// One walk for untracked files: what it looks names up in, and what it finds.
struct UntrackedWalk<'w, 'a> {
    index: &'w gix::index::State,
    excludes: &'w mut gix::AttributeStack<'a>,
    cache: &'w mut Option<UntrackedCache>,
    out: &'w mut Vec<String>,
}

impl UntrackedWalk<'_, '_> {
    /// Walks directory `full` (repository-relative `rel`, as bytes: file names need not be
    /// UTF-8, and are looked up in the index and the ignore rules exactly as they are). With
    /// a cache, a directory that did not change since the last walk is not listed, if
    /// `reusable` (nothing above it changed the ignore rules that apply to it).
    fn dir(&mut self, full: &Path, rel: &[u8], reusable: bool) -> Result<()> {
        let prefix = if rel.is_empty() {
            Vec::new()
        } else {
            [rel, b"/"].concat()
        };
        let as_path = |name: &str| {
            let mut path = String::from_utf8_lossy(&prefix).into_owned();
            path.push_str(name);
            path
        };
        let reused = self
            .cache
            .as_mut()
            .filter(|_| reusable)
            .and_then(|c| c.reuse(rel, full));
        if let Some(dir) = reused {
            self.out
                .extend(dir.untracked.iter().map(|name| as_path(name)));
            for sub in &dir.subdirs {
                let child = [prefix.as_slice(), sub.as_bytes()].concat();
                self.dir(&full.join(sub), &child, true)?;
            }
            return Ok(());
        }
        let listing = self.cache.as_ref().map(|c| c.listing(rel, full));
        let below_reusable = reusable && listing.as_ref().is_some_and(|l| l.below_hold);
        let mut found = Some(Found::default());
        let mut entries = Vec::new();
        let listed = match std::fs::read_dir(full) {
            Ok(listed) => listed,
            // Gone since its parent was listed (or read from the cache): nothing in it.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(());
            }
            Err(e) => return Err(Error::io(full)(e)),
        };
        for entry in listed {
            let entry = entry.map_err(Error::io(full))?;
            let name = os_bytes(&entry.file_name()).into_owned();
            // A directory holding `.git` is another repository (git leaves it alone too).
            if name == b".git" {
                if rel.is_empty() {
                    continue;
                }
                return Ok(());
            }
            entries.push((name, entry));
        }
        // The index entries below this directory: each file is looked up among those only.
        let index = self.index;
        let below = index
            .prefixed_entries(BStr::new(&prefix))
            .unwrap_or_default();
        for (name, entry) in entries {
            let child = [prefix.as_slice(), name.as_slice()].concat();
            let kind = entry.file_type().map_err(Error::io(entry.path()))?;
            let list = if kind.is_dir() {
                if is_excluded(self.excludes, &child, true)? {
                    continue;
                }
                self.dir(&entry.path(), &child, below_reusable)?;
                found.as_mut().map(|f| &mut f.subdirs)
            } else if !is_indexed_among(index, below, &child)
                && !is_excluded(self.excludes, &child, false)?
            {
                self.out.push(child.to_str_lossy().into_owned());
                found.as_mut().map(|f| &mut f.untracked)
            } else {
                continue;
            };
            match (list, String::from_utf8(name)) {
                (Some(list), Ok(name)) => list.push(name),
                // A name that is not UTF-8: this directory is listed every time.
                _ => found = None,
            }
        }
        if let (Some(cache), Some(listing)) = (self.cache.as_mut(), listing) {
            cache.record(rel, listing, found);
        }
        Ok(())
    }
}

/// The blob id of each index entry's file as it is on disk now (`None`: gone). When the
/// stat still matches the entry (and the entry is not racily clean), the index's id is
/// trusted and the file is not read. Where the entry is what the file is compared with
/// (`covered`), a file whose size moved differs from it without being read, and its id is
/// given as the null id. Large sets are split over the machine's cores.
fn index_entries_now(
    workdir: &Path,
    hash: gix::hash::Kind,
    index: &gix::index::State,
    entries: &[gix::index::Entry],
    covered: &[bool],
) -> Result<Vec<Option<ObjectId>>> {
    let check = |chunk: &[gix::index::Entry], covered: &[bool]| {
        let mut dirs = DirHandles::new(workdir);
        chunk
            .iter()
            .zip(covered)
            .map(|(entry, &covered)| entry_now(workdir, &mut dirs, hash, index, entry, covered))
            .collect::<Result<Vec<Option<ObjectId>>>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    if entries.len() < 4096 || threads == 1 {
        return check(entries, covered);
    }
    let chunk_size = entries.len().div_ceil(threads);
    let results: Vec<Result<Vec<Option<ObjectId>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = entries
            .chunks(chunk_size)
            .zip(covered.chunks(chunk_size))
            .map(|(chunk, covered)| scope.spawn(move || check(chunk, covered)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("stat threads do not panic"))
            .collect()
    });
    let mut out = Vec::with_capacity(entries.len());
    for result in results {
        out.extend(result?);
    }
    Ok(out)
}

/// Whether `path` is one of `entries` (a sorted slice of the index).
fn is_indexed_among(index: &gix::index::State, entries: &[gix::index::Entry], path: &[u8]) -> bool {
    entries
        .binary_search_by(|entry| entry.path(index).as_bytes().cmp(path))
        .is_ok()
}

/// A file name's bytes, as git stores them.
fn os_bytes(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(name.as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(name.to_string_lossy().into_owned().into_bytes())
    }
}

/// One index entry's file on disk now; see [`index_entries_now`].
fn entry_now(
    workdir: &Path,
    dirs: &mut DirHandles<'_>,
    hash: gix::hash::Kind,
    index: &gix::index::State,
    entry: &gix::index::Entry,
    covered: bool,
) -> Result<Option<ObjectId>> {
    if entry.mode.is_submodule() {
        return Ok(Some(entry.id));
    }
    let path = entry.path(index);
    // The full path only where it is needed: most entries match their stat.
    let full = || workdir.join(fs_path(path));
    let stat = match dirs.lstat(path) {
        Ok(Some(stat)) => stat,
        Ok(None) => return Ok(None),
        Err(e) => {
            return Err(Error::Io {
                path: full(),
                error: e,
            });
        }
    };
    let options = gix::index::entry::stat::Options::default();
    if entry.stat.matches(&stat, options) && !entry.stat.is_racy(index.timestamp(), options) {
        return Ok(Some(entry.id));
    }
    // Other bytes than those the entry's id was taken from: git tells a modified file by its
    // size alone too, except where the index says 0 (it writes 0 for a racily clean entry,
    // and `read-tree` leaves sizes unknown). A symlink's size is its target's length.
    if covered && entry.stat.size != 0 && stat.size != entry.stat.size {
        return Ok(Some(ObjectId::null(hash)));
    }
    crate::git::repo::hash_file(&full(), hash)
}

/// `lstat` for index entries, which come sorted by path: the directory of the previous entry
/// stays open, so each file costs a lookup of its own name only, not of its whole path (the
/// kernel's path walk is most of what a status of a large tree spends).
struct DirHandles<'w> {
    workdir: &'w Path,
    #[cfg(target_os = "linux")]
    open: Option<(Vec<u8>, std::os::fd::OwnedFd)>,
}

impl<'w> DirHandles<'w> {
    fn new(workdir: &'w Path) -> Self {
        DirHandles {
            workdir,
            #[cfg(target_os = "linux")]
            open: None,
        }
    }

    /// The stat of `path` (repository-relative) in the index's terms; `None` when it is gone.
    #[cfg(target_os = "linux")]
    fn lstat(&mut self, path: &BStr) -> std::io::Result<Option<gix::index::entry::Stat>> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

        let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(slash) => (&path[..slash], &path[slash + 1..]),
            None => (&path[..0], path),
        };
        if self
            .open
            .as_ref()
            .is_none_or(|(open, _)| open.as_slice() != dir)
        {
            self.open = None;
            let full = self.workdir.join(fs_path(BStr::new(dir)));
            let c_dir = std::ffi::CString::new(full.into_os_string().into_encoded_bytes())
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
            // SAFETY: a valid C string; the descriptor is owned and closed by `OwnedFd`.
            let fd = unsafe {
                libc::open(
                    c_dir.as_ptr(),
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                let error = std::io::Error::last_os_error();
                return match error.kind() {
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => Ok(None),
                    _ => Err(error),
                };
            }
            // SAFETY: `fd` was just opened and is owned by nobody else.
            self.open = Some((dir.to_vec(), unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let (_, fd) = self.open.as_ref().expect("just opened");
        let c_name = std::ffi::CString::new(name.to_vec())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: `stat` is plain data that fstatat fills; the pointers are valid for the call.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        let result = unsafe {
            libc::fstatat(
                fd.as_raw_fd(),
                c_name.as_ptr(),
                &mut stat,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if result != 0 {
            let error = std::io::Error::last_os_error();
            return match error.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => Ok(None),
                _ => Err(error),
            };
        }
        // The same truncations git (and gix) apply when they write the index.
        Ok(Some(gix::index::entry::Stat {
            mtime: gix::index::entry::stat::Time {
                secs: stat.st_mtime as u32,
                nsecs: stat.st_mtime_nsec as u32,
            },
            ctime: gix::index::entry::stat::Time {
                secs: stat.st_ctime as u32,
                nsecs: stat.st_ctime_nsec as u32,
            },
            dev: stat.st_dev as u32,
            ino: stat.st_ino as u32,
            uid: stat.st_uid,
            gid: stat.st_gid,
            size: stat.st_size as u32,
        }))
    }

    #[cfg(not(target_os = "linux"))]
    fn lstat(&mut self, path: &BStr) -> std::io::Result<Option<gix::index::entry::Stat>> {
        let full = self.workdir.join(fs_path(path));
        match gix::index::fs::Metadata::from_path_no_follow(&full) {
            Ok(meta) => Ok(gix::index::entry::Stat::from_fs(&meta).ok()),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// What a tree has that the index does not say: see [`Repo::tree_files`].
#[derive(Default)]
struct TreeAgainstIndex {
    /// Files of directories the index's cache-tree does not vouch for.
    files: BTreeMap<String, ObjectId>,
    /// Directories whose index entries are exactly the tree's files.
    covered: Vec<String>,
}

/// A repository path as the file system's path, byte for byte where the platform allows.
fn fs_path(path: &BStr) -> std::borrow::Cow<'_, Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(Path::new(std::ffi::OsStr::from_bytes(path)))
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(path.to_str_lossy().into_owned().into())
    }
}

/// The range of index entries at or below `root` (all of them for the empty root).
fn entries_below(index: &gix::index::State, root: &str) -> std::ops::Range<usize> {
    if root.is_empty() {
        return 0..index.entries().len();
    }
    // The file itself, then everything below `root/` (a byte prefix would also take `root2`).
    let dir = format!("{root}/");
    match (
        index.entry_index_by_path(BStr::new(root)),
        index.prefixed_entries_range(BStr::new(&dir)),
    ) {
        (Ok(file), Some(below)) => file.min(below.start)..(file + 1).max(below.end),
        (Ok(file), None) => file..file + 1,
        (Err(_), Some(below)) => below,
        (Err(_), None) => 0..0,
    }
}

fn is_indexed(index: &gix::index::State, path: &[u8]) -> bool {
    index.entry_by_path(BStr::new(path)).is_some()
}

fn is_excluded(excludes: &mut gix::AttributeStack<'_>, path: &[u8], is_dir: bool) -> Result<bool> {
    let mode = is_dir.then_some(gix::index::entry::Mode::DIR);
    Ok(excludes
        .at_entry(BStr::new(path), mode)
        .map_err(Error::git)?
        .is_excluded())
}

/// `scope` without the entries that lie inside another entry.
fn outermost(scope: &[String]) -> Vec<String> {
    let sorted: BTreeSet<&str> = scope.iter().map(|s| s.trim_end_matches('/')).collect();
    let mut out: Vec<String> = Vec::new();
    for path in sorted {
        if !out.iter().any(|kept| is_within(path, kept)) {
            out.push(path.to_owned());
        }
    }
    out
}
