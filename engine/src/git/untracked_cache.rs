//! What the walk for untracked files found in each directory, kept between runs, as git's
//! `core.untrackedCache` keeps it in the index.
//!
//! Listing every directory of a large tree (an open, a few `getdents`, a close, and the ignore
//! rules for every name) costs as much as the stat of every index entry. A directory's list of
//! names changes only with its modification time, so a directory whose stat is as recorded,
//! whose `.gitignore` is as recorded, and whose files in the index are the same names as when
//! it was listed has the same untracked files and the same subdirectories to walk: one `lstat`
//! instead of a listing. What no stat can tell is kept out:
//!
//! - a directory modified within [`RACY`] of the walk that listed it (two seconds where the
//!   file system keeps whole seconds only) is not kept: a file created right after the
//!   listing, in the same tick of the file system's clock, would leave the modification time
//!   as recorded;
//! - below a directory whose `.gitignore` (or index entries) changed, nothing is reused: its
//!   patterns apply to everything beneath it;
//! - ignore rules from outside the work tree (`info/exclude` of the worktree and of the
//!   repository, the user's excludes file) are stamped, and the settings that decide how names
//!   match (`core.excludesFile`, `core.ignoreCase`, ...) kept as git's configuration resolves
//!   them: when one differs, nothing is reused.
//!
//! Only walks of the whole work tree use it; a directory whose name is not UTF-8 is listed
//! every time.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::stamp::Stamp;

/// A directory modified this recently (nanoseconds) before the walk is listed again next time:
/// many clock ticks of the file systems that keep nanoseconds (Linux's advance by 1 to 10 ms).
const RACY: i128 = 100_000_000;

/// The same for a file system whose times have no fraction of a second (FAT, HFS+, some
/// network file systems: they tick in one or two seconds).
const RACY_COARSE: i128 = 2_000_000_000;

/// Whether a change made after `stamp` was taken at `walk_ns` could leave it as it is: its
/// modification or status-change time is within a few clock ticks of the walk (a directory
/// changed and its modification time put back, `touch -d`, has a recent status-change time).
fn racy(stamp: &Stamp, walk_ns: i128) -> bool {
    let recent = |ns: i128| {
        let window = if ns % 1_000_000_000 == 0 {
            RACY_COARSE
        } else {
            RACY
        };
        ns >= walk_ns - window
    };
    recent(stamp.mtime_ns) || recent(stamp.ctime_ns)
}

/// The format of the cache file.
const VERSION: u32 = 2;

/// What one directory held when it was listed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct CachedDir {
    /// Its own stat (not following a symlink).
    #[serde(with = "compact")]
    stamp: Stamp,
    /// The stat of its `.gitignore` (`exists: false` when it had none).
    #[serde(with = "compact")]
    gitignore: Stamp,
    /// The names and modes of its index entries (files directly in it), hashed.
    indexed: u64,
    /// The files in it that are neither in the index nor ignored (names).
    pub(super) untracked: Vec<String>,
    /// The subdirectories the walk descended into (names): not ignored, not repositories.
    pub(super) subdirs: Vec<String>,
}

#[derive(Default, Serialize, Deserialize)]
struct Stored {
    version: u32,
    workdir: PathBuf,
    /// The files outside the work tree that ignore rules or their locations come from.
    outside: Vec<(PathBuf, Stamp)>,
    /// The settings that decide how ignore rules match, as git's configuration resolves them
    /// (included files, per-worktree configuration and the environment too).
    settings: Vec<(String, Option<String>)>,
    dirs: HashMap<String, CachedDir>,
}

/// The configuration that decides what is ignored and how names match.
const SETTINGS: &[&str] = &[
    "core.excludesFile",
    "core.ignoreCase",
    "core.precomposeUnicode",
];

/// Whether every name in the stored directories is one name: not empty, `.` or `..`, and
/// without a separator (a cache edited by hand must not lead the walk elsewhere).
fn names_are_plain(dirs: &HashMap<String, CachedDir>) -> bool {
    let plain = |name: &String| {
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
    };
    dirs.values()
        .all(|dir| dir.untracked.iter().all(plain) && dir.subdirs.iter().all(plain))
}

/// The cache for one walk: what the last walk stored, and what this one finds.
pub(super) struct UntrackedCache {
    file: PathBuf,
    old: HashMap<String, CachedDir>,
    new: HashMap<String, CachedDir>,
    /// Hash of the index entries directly in each directory, by directory (`""`: the root).
    indexed: HashMap<Vec<u8>, u64>,
    workdir: PathBuf,
    outside: Vec<(PathBuf, Stamp)>,
    settings: Vec<(String, Option<String>)>,
    started_ns: i128,
    /// Whether this walk recorded a listing to keep.
    changed: bool,
}

impl UntrackedCache {
    /// Loads the cache kept in `file` for the repository; an unreadable, outdated or foreign
    /// one is an empty cache.
    pub(super) fn load(
        file: &Path,
        repo: &gix::Repository,
        workdir: &Path,
        index: &gix::index::State,
    ) -> UntrackedCache {
        let started_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let outside = outside_files(repo)
            .into_iter()
            .map(|path| {
                let stamp = Stamp::of(&path);
                (path, stamp)
            })
            .collect::<Vec<_>>();
        let config = repo.config_snapshot();
        let settings: Vec<(String, Option<String>)> = SETTINGS
            .iter()
            .map(|key| {
                (
                    (*key).to_owned(),
                    config.string(*key).map(|v| v.to_string()),
                )
            })
            .collect();
        let old = std::fs::read(file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Stored>(&bytes).ok())
            .filter(|stored| {
                stored.version == VERSION
                    && stored.workdir == workdir
                    && stored.outside == outside
                    && stored.settings == settings
                    && names_are_plain(&stored.dirs)
            })
            .map(|stored| stored.dirs)
            .unwrap_or_default();
        UntrackedCache {
            file: file.to_owned(),
            old,
            new: HashMap::new(),
            indexed: indexed_by_dir(index),
            workdir: workdir.to_owned(),
            outside,
            settings,
            started_ns,
            changed: false,
        }
    }

    /// What directory `rel` (repository-relative, `""` for the root; `full` on disk) held,
    /// if it still holds it: its stat, its `.gitignore` and its index entries are as they
    /// were. Reused entries are kept for the next walk.
    pub(super) fn reuse(&mut self, rel: &[u8], full: &Path) -> Option<CachedDir> {
        let key = std::str::from_utf8(rel).ok()?;
        let cached = self.old.get(key)?;
        // The same stat means the same names: a `.gitignore` that was not there still is not.
        let same = cached.stamp == dir_stamp(full)
            && cached.indexed == self.indexed_in(rel)
            && (!cached.gitignore.exists
                || cached.gitignore == Stamp::of(&full.join(".gitignore")));
        if !same {
            return None;
        }
        let cached = cached.clone();
        self.new.insert(key.to_owned(), cached.clone());
        Some(cached)
    }

    /// Starts listing directory `rel` (`full` on disk): its stat, taken before the listing,
    /// and whether the ignore rules and index entries that apply beneath it are as the last
    /// walk saw them (its subdirectories may then be reused).
    pub(super) fn listing(&self, rel: &[u8], full: &Path) -> Listing {
        let stamp = dir_stamp(full);
        let gitignore = Stamp::of(&full.join(".gitignore"));
        let indexed = self.indexed_in(rel);
        let below_hold = std::str::from_utf8(rel)
            .ok()
            .and_then(|key| self.old.get(key))
            .is_some_and(|old| old.gitignore == gitignore && old.indexed == indexed);
        Listing {
            stamp,
            gitignore,
            indexed,
            below_hold,
        }
    }

    /// Records what directory `rel` held when listed (`None`: a name that is not UTF-8),
    /// unless it changed too recently to trust its stamp next time.
    pub(super) fn record(&mut self, rel: &[u8], listing: Listing, found: Option<Found>) {
        let (Ok(key), Some(found)) = (std::str::from_utf8(rel), found) else {
            return;
        };
        // A change after the listing moves the times to the clock's tick then, which is the
        // recorded one only if that is this recent.
        let trusted = |s: &Stamp| !s.exists || !racy(s, self.started_ns);
        if listing.stamp.exists && trusted(&listing.stamp) && trusted(&listing.gitignore) {
            self.changed = true;
            self.new.insert(
                key.to_owned(),
                CachedDir {
                    stamp: listing.stamp,
                    gitignore: listing.gitignore,
                    indexed: listing.indexed,
                    untracked: found.untracked,
                    subdirs: found.subdirs,
                },
            );
        }
    }

    /// Keeps what this walk found for the next one (a failure only costs the next walk time).
    /// Only a walk that recorded a listing writes: the entries of directories listed again
    /// too recently to keep are merely stale in the old file, and never match.
    pub(super) fn save(self) {
        if !self.changed {
            return;
        }
        let stored = Stored {
            version: VERSION,
            workdir: self.workdir,
            outside: self.outside,
            settings: self.settings,
            dirs: self.new,
        };
        let Ok(json) = serde_json::to_vec(&stored) else {
            return;
        };
        if let Err(e) = crate::stamp::write_cache(&self.file, &json) {
            tracing::debug!("cannot keep the untracked-files cache: {e}");
        }
    }

    fn indexed_in(&self, rel: &[u8]) -> u64 {
        self.indexed.get(rel).copied().unwrap_or(0)
    }
}

/// A directory about to be listed; see [`UntrackedCache::listing`].
pub(super) struct Listing {
    stamp: Stamp,
    gitignore: Stamp,
    indexed: u64,
    /// Whether its subdirectories' entries may be reused.
    pub(super) below_hold: bool,
}

/// What the listing of one directory found, by name.
#[derive(Default)]
pub(super) struct Found {
    /// Files neither in the index nor ignored.
    pub(super) untracked: Vec<String>,
    /// Subdirectories walked.
    pub(super) subdirs: Vec<String>,
}

/// A directory's stat, not following a symlink.
fn dir_stamp(full: &Path) -> Stamp {
    match std::fs::symlink_metadata(full) {
        Ok(meta) => Stamp::from_metadata(&meta),
        Err(_) => Stamp::default(),
    }
}

/// The hash of the names and modes of the index entries directly in each directory.
fn indexed_by_dir(index: &gix::index::State) -> HashMap<Vec<u8>, u64> {
    let mut hashers: HashMap<&[u8], std::collections::hash_map::DefaultHasher> = HashMap::new();
    for entry in index.entries() {
        let path: &[u8] = entry.path(index).as_ref();
        let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(slash) => (&path[..slash], &path[slash + 1..]),
            None => (&path[..0], path),
        };
        let hasher = hashers.entry(dir).or_default();
        name.hash(hasher);
        entry.mode.bits().hash(hasher);
    }
    hashers
        .into_iter()
        .map(|(dir, hasher)| (dir.to_vec(), hasher.finish() | 1))
        .collect()
}

/// Where ignore rules outside the work tree come from, and the files that say where they are:
/// the repository's `info/exclude` and configuration, the user's excludes file (configured or
/// git's default place) and the user's and system's configuration.
fn outside_files(repo: &gix::Repository) -> Vec<PathBuf> {
    // A linked worktree's own git directory and the repository's common one (git reads
    // `info/exclude` from the latter).
    let mut files = vec![
        repo.git_dir().join("info").join("exclude"),
        repo.common_dir().join("info").join("exclude"),
        repo.git_dir().join("config"),
        repo.git_dir().join("config.worktree"),
        repo.common_dir().join("config"),
        PathBuf::from("/etc/gitconfig"),
    ];
    if let Some(system) = std::env::var_os("GIT_CONFIG_SYSTEM") {
        files.push(PathBuf::from(system));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    if let Some(home) = &home {
        files.push(home.join(".gitconfig"));
    }
    if let Some(xdg) = &xdg {
        files.push(xdg.join("git").join("config"));
        files.push(xdg.join("git").join("ignore"));
    }
    if let Some(global) = std::env::var_os("GIT_CONFIG_GLOBAL") {
        files.push(PathBuf::from(global));
    }
    if let Ok(Some(configured)) = repo.config_snapshot().trusted_path("core.excludesFile") {
        files.push(configured);
    }
    files
}

/// A stamp as a short array rather than an object with named fields: the cache holds two per
/// directory, and its size is what loading it costs.
mod compact {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::stamp::Stamp;

    type Fields = (bool, u64, i128, u64, i128, u64);

    pub(super) fn serialize<S: Serializer>(
        stamp: &Stamp,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let fields: Fields = (
            stamp.exists,
            stamp.size,
            stamp.mtime_ns,
            stamp.inode,
            stamp.ctime_ns,
            stamp.dev,
        );
        fields.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Stamp, D::Error> {
        let (exists, size, mtime_ns, inode, ctime_ns, dev) = Fields::deserialize(deserializer)?;
        Ok(Stamp {
            exists,
            size,
            mtime_ns,
            inode,
            ctime_ns,
            dev,
        })
    }
}
