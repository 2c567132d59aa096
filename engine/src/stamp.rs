//! File identities and atomic writes: the small file-system facts the engine keeps.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a file looked like: enough to notice that it was replaced, without reading it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Whether it existed.
    pub exists: bool,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time, in nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    /// Its inode number (0 where the platform has none).
    pub inode: u64,
    /// Its status-change time in nanoseconds (0 where the platform has none). Unlike the
    /// modification time, no tool can set it back: a `cp -p` or `touch -d` onto a file moves
    /// it forward, so a stamp cannot stay equal while the content changes.
    #[serde(default)]
    pub ctime_ns: i128,
    /// The device it is on (0 where the platform has none).
    #[serde(default)]
    pub dev: u64,
}

impl Stamp {
    /// Stats `path` (following symlinks); a missing file has a stamp too.
    pub fn of(path: &Path) -> Stamp {
        match std::fs::metadata(path) {
            Ok(meta) => Stamp::from_metadata(&meta),
            Err(_) => Stamp::default(),
        }
    }

    /// The stamp of a file whose metadata is at hand.
    pub fn from_metadata(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            exists: true,
            size: meta.len(),
            mtime_ns: meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i128),
            inode: inode(meta),
            ctime_ns: ctime_ns(meta),
            dev: dev(meta),
        }
    }

    /// Whether `self` and `other` are the same file with the same bytes, as far as a stat can
    /// tell, for a file the engine does not hash (a built binary). The status-change time is
    /// left out: cargo re-points the hard link of a binary it did not rebuild (after a failed
    /// build, when another run uplifts it again), which moves only the ctime; a binary written
    /// by another build is another inode, and a copy over it moves its mtime.
    pub fn same_file(&self, other: &Stamp) -> bool {
        self.exists == other.exists
            && self.size == other.size
            && self.mtime_ns == other.mtime_ns
            && self.inode == other.inode
            && (self.dev == 0 || other.dev == 0 || self.dev == other.dev)
    }
}

#[cfg(unix)]
fn dev(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::dev(meta)
}

#[cfg(not(unix))]
fn dev(_: &std::fs::Metadata) -> u64 {
    0
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

#[cfg(unix)]
fn ctime_ns(meta: &std::fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec())
}

#[cfg(not(unix))]
fn ctime_ns(_: &std::fs::Metadata) -> i128 {
    0
}

/// A content digest for things that are compared, not looked up (the git blob id of the bytes,
/// so it reads like every other id the engine stores).
pub fn digest(bytes: &[u8]) -> String {
    gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, bytes)
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// Writes `bytes` to `path` so that a reader sees the old content or the new one, never a
/// part: a temporary file in the same directory, flushed, then renamed over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_replacing(path, bytes, true)
}

/// [`write_atomically`] for a cache: not flushed to the disk first. A reader still sees a
/// whole file, old or new; after a crash the file may be empty or gone, which for a cache
/// only costs the next run its time. Flushing costs more than the run that writes it.
pub fn write_cache(path: &Path, bytes: &[u8]) -> Result<()> {
    write_replacing(path, bytes, false)
}

fn write_replacing(path: &Path, bytes: &[u8], flush: bool) -> Result<()> {
    use std::io::Write;

    let dir = path.parent().expect("state files live in a directory");
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(Error::io(dir))?;
    file.write_all(bytes).map_err(Error::io(path))?;
    if flush {
        file.as_file().sync_all().map_err(Error::io(path))?;
    }
    file.persist(path).map_err(|e| Error::Io {
        path: path.to_owned(),
        error: e.error,
    })?;
    Ok(())
}
