//! Fingerprints of the files a build read: the content of each (a digest of its bytes, as rustc
//! reads them) and its stat, so that a later check can stat first and hash only what moved.
//!
//! An input is a path as cargo reported it. It is looked at through that path, so a symlink
//! that now points elsewhere is a change when what it leads to differs; the path it resolved to
//! is kept for explanations. Where an input lives does not matter: ignored files, files under
//! `.git/`, in submodules or outside the repository are fingerprinted alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::stamp::{Stamp, digest};

/// What an input held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "digest")]
pub enum Content {
    /// There was no such file (a configuration file cargo would read if it appeared).
    Absent,
    /// A file with these bytes (their digest).
    File(String),
    /// A directory (a build script's `rerun-if-changed` directory) with these entries, names
    /// only, recursively: the files in it are inputs of their own.
    Dir(String),
    /// Unknown: the file changed while cargo was building, so what cargo read is not known.
    /// Differs from everything.
    Unsettled,
}

/// One input as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// What it held.
    pub content: Content,
    /// Its stat when its content was taken (files only): while the stat is the same, the
    /// content is taken to be the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<Stamp>,
    /// Where the path led, when that is another path (a symlink on the way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<PathBuf>,
}

impl Input {
    /// An input whose content is not known.
    pub fn unsettled() -> Input {
        Input {
            content: Content::Unsettled,
            stamp: None,
            resolved: None,
        }
    }
}

/// Every input of a build, by the absolute path cargo reported.
pub type Inputs = BTreeMap<PathBuf, Input>;

/// Fingerprints `path` now: its stat, then its content, then its stat again. A file that
/// moved while it was read is [`Content::Unsettled`].
pub fn fingerprint(path: &Path) -> Input {
    let resolved = std::fs::canonicalize(path)
        .ok()
        .filter(|canonical| canonical != path);
    let Ok(meta) = std::fs::metadata(path) else {
        return Input {
            content: Content::Absent,
            stamp: None,
            resolved,
        };
    };
    if meta.is_dir() {
        return Input {
            content: Content::Dir(listing_digest(path)),
            stamp: None,
            resolved,
        };
    }
    let before = Stamp::of(path);
    let content = match std::fs::read(path) {
        Ok(bytes) => Content::File(digest(&bytes)),
        Err(_) => Content::Unsettled,
    };
    let after = Stamp::of(path);
    if before != after {
        return Input::unsettled();
    }
    Input {
        content,
        stamp: Some(after),
        resolved,
    }
}

/// What `path` holds now, compared with what was `recorded`: when its stat is as recorded, its
/// content is taken from the record without reading it (a touch alone only costs one hash).
pub fn content_now(path: &Path, recorded: &Input) -> Content {
    let Ok(meta) = std::fs::metadata(path) else {
        return Content::Absent;
    };
    if meta.is_dir() {
        return Content::Dir(listing_digest(path));
    }
    if recorded.content != Content::Unsettled
        && recorded.stamp.as_ref() == Some(&Stamp::from_metadata(&meta))
    {
        return recorded.content.clone();
    }
    match std::fs::read(path) {
        Ok(bytes) => Content::File(digest(&bytes)),
        Err(_) => Content::Unsettled,
    }
}

/// Whether `path`'s content differs from what was recorded.
pub fn changed(path: &Path, recorded: &Input) -> bool {
    recorded.content == Content::Unsettled || content_now(path, recorded) != recorded.content
}

/// The files under `dir`, recursively, as cargo scans a `rerun-if-changed` directory (symlinks
/// to directories are not followed, so a loop ends).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(at) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(_) => files.push(path),
                Err(_) => {}
            }
        }
    }
    files.sort();
    files
}

/// A digest of the names under `dir` (recursively): it changes when an entry appears or goes.
fn listing_digest(dir: &Path) -> String {
    let mut names = Vec::new();
    for file in files_under(dir) {
        if let Ok(rel) = file.strip_prefix(dir) {
            names.extend_from_slice(rel.as_os_str().as_encoded_bytes());
            names.push(0);
        }
    }
    digest(&names)
}

/// Marks as [`Content::Unsettled`] every input that changed while cargo ran: one whose stat
/// differs from the one taken just before cargo started (`before`), or, for a file not known
/// then, one modified after `started` (less a margin for the kernel's coarse clock). Cargo
/// itself treats such a file as changed on the next build; so does the record.
pub fn settle(inputs: &mut Inputs, before: &BTreeMap<PathBuf, Stamp>, started: SystemTime) {
    const CLOCK_MARGIN: std::time::Duration = std::time::Duration::from_millis(10);
    let since = started
        .checked_sub(CLOCK_MARGIN)
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    for (path, input) in inputs.iter_mut() {
        let Some(stamp) = &input.stamp else {
            continue;
        };
        let moved = match before.get(path) {
            Some(then) => then != stamp,
            None => stamp.mtime_ns >= since || stamp.ctime_ns >= since,
        };
        if moved {
            tracing::debug!("{} changed while cargo was building", path.display());
            *input = Input::unsettled();
        }
    }
}

/// Records keep paths as UTF-8 text. An input whose path is not UTF-8 cannot be found again by
/// its name once written down, so it is kept under its lossy name as [`Content::Unsettled`]: the
/// binary is stale until its build no longer reads it. (Safe, and rare: rustc itself rejects
/// such paths in `include_str!`; only build scripts' directories hold them.)
pub fn keep_nameable(inputs: &mut Inputs) {
    let unnameable: Vec<PathBuf> = inputs
        .keys()
        .filter(|path| path.to_str().is_none())
        .cloned()
        .collect();
    for path in unnameable {
        inputs.remove(&path);
        let lossy = PathBuf::from(path.to_string_lossy().into_owned());
        inputs.insert(lossy, Input::unsettled());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_touch_is_no_change_but_new_bytes_are() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "one").expect("write");
        let recorded = fingerprint(&file);
        assert!(matches!(recorded.content, Content::File(_)));
        assert!(!changed(&file, &recorded));
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(later))
            .expect("touch");
        assert!(!changed(&file, &recorded), "a touch changes no content");
        std::fs::write(&file, "two").expect("write");
        assert!(changed(&file, &recorded));
        std::fs::remove_file(&file).expect("remove");
        assert_eq!(content_now(&file, &recorded), Content::Absent);
    }

    #[test]
    fn a_directory_changes_when_an_entry_appears() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("d/e")).expect("mkdir");
        std::fs::write(dir.path().join("d/e/x"), "x").expect("write");
        let recorded = fingerprint(&dir.path().join("d"));
        assert!(!changed(&dir.path().join("d"), &recorded));
        std::fs::write(dir.path().join("d/e/y"), "y").expect("write");
        assert!(changed(&dir.path().join("d"), &recorded));
    }

    #[test]
    fn an_absent_file_that_appears_is_a_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("config.toml");
        let recorded = fingerprint(&file);
        assert_eq!(recorded.content, Content::Absent);
        assert!(!changed(&file, &recorded));
        std::fs::write(&file, "").expect("write");
        assert!(changed(&file, &recorded));
    }
}
