//! A cache of `cargo metadata`, so that a warm query (and a fresh `ensure`) runs no cargo.
//!
//! The cache lives at `<target-dir>/rbee-graph/metadata.json` and is keyed on everything
//! `cargo metadata --no-deps` reads: the content of every manifest of the workspace and of the
//! cargo configuration files around it, the directories whose entries make targets and members
//! (target auto-discovery and `members` globs look at what exists, so their modification times
//! are part of the key), and the environment variables that move the target directory.
//!
//! Before cargo has run, the target directory is not known for sure; it is derived the way
//! cargo derives it (`CARGO_TARGET_DIR`, `CARGO_BUILD_TARGET_DIR`, `build.target-dir` in
//! `.cargo/config.toml`, else `<workspace>/target`). When that guess turns out wrong the cache
//! is simply not used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cargo::layout::{read_toml, target_directory, workspace_root};
use crate::stamp::{Stamp, digest};

/// Bump when the key or the stored shape changes.
const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    version: u32,
    /// The manifest the user pointed at (or found from the current directory).
    start: PathBuf,
    /// Manifests and cargo configuration files: a stamp, and the content digest (`None`:
    /// missing). When the stamp still matches, the file is not read again.
    contents: Vec<(PathBuf, Stamp, Option<String>)>,
    /// Directories whose entries matter.
    dirs: Vec<(PathBuf, Stamp)>,
    /// Files whose existence alone matters.
    exists: Vec<(PathBuf, bool)>,
    /// Environment variables cargo reads for these answers.
    env: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
struct Cached {
    key: Key,
    metadata: cargo_metadata::Metadata,
}

const ENV: &[&str] = &[
    "CARGO",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_HOME",
];

/// Where the cache for `start` would be.
fn cache_file(start: &Path) -> Option<PathBuf> {
    let root = workspace_root(start)?;
    Some(
        target_directory(&root)
            .join("rbee-graph")
            .join("metadata.json"),
    )
}

/// The cached metadata for `start`, if the cache is there and nothing it depends on changed.
pub fn load(start: &Path) -> Option<cargo_metadata::Metadata> {
    let file = cache_file(start)?;
    let bytes = std::fs::read(&file).ok()?;
    let cached: Cached = serde_json::from_slice(&bytes).ok()?;
    if cached.key.start != start || !cached.key.still_holds() {
        tracing::debug!("metadata cache is out of date");
        return None;
    }
    Some(cached.metadata)
}

/// Stores `metadata` for `start`, when the cache location agrees with cargo's target directory.
pub fn store(start: &Path, metadata: &cargo_metadata::Metadata) {
    let Some(file) = cache_file(start) else {
        return;
    };
    let expected = metadata
        .target_directory
        .as_std_path()
        .join("rbee-graph")
        .join("metadata.json");
    if normalize(&file) != normalize(&expected) {
        tracing::debug!(
            "not caching metadata: target directory {} is not where it was expected",
            expected.display()
        );
        return;
    }
    let cached = Cached {
        key: key_for(start, metadata),
        metadata: metadata.clone(),
    };
    let json = serde_json::to_vec(&cached).expect("metadata serializes");
    if let Err(e) = crate::stamp::write_atomically(&file, &json) {
        tracing::debug!("cannot cache metadata: {e}");
    }
}

fn normalize(path: &Path) -> PathBuf {
    match (
        path.parent()
            .and_then(|p| p.parent())
            .and_then(|p| p.canonicalize().ok()),
        path.file_name(),
    ) {
        (Some(dir), Some(name)) => dir.join("rbee-graph").join(name),
        _ => path.to_owned(),
    }
}

/// The directories in which the root manifest's `workspace.members` globs expand (`crates`
/// for `crates/*`).
fn glob_dirs(root: &Path) -> Vec<PathBuf> {
    let Some(table) = read_toml(&root.join("Cargo.toml")) else {
        return Vec::new();
    };
    let members = table
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    members
        .iter()
        .filter_map(|m| m.as_str())
        .filter(|m| m.contains(['*', '?', '[']))
        .map(|pattern| {
            let fixed: Vec<&str> = pattern
                .split('/')
                .take_while(|part| !part.contains(['*', '?', '[']))
                .collect();
            root.join(fixed.join("/"))
        })
        .collect()
}

fn key_for(start: &Path, metadata: &cargo_metadata::Metadata) -> Key {
    let root = metadata.workspace_root.as_std_path();
    let mut key = Key {
        version: VERSION,
        start: start.to_owned(),
        contents: Vec::new(),
        dirs: Vec::new(),
        exists: Vec::new(),
        env: ENV
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v)))
            .collect(),
    };
    key.content(start.to_owned());
    key.content(root.join("Cargo.toml"));
    for dir in root.ancestors() {
        key.content(dir.join(".cargo").join("config.toml"));
        key.content(dir.join(".cargo").join("config"));
    }
    // A new member under a `members` glob shows in the directory the glob expands in.
    for dir in glob_dirs(root) {
        key.stamp(dir);
    }
    for package in &metadata.packages {
        key.content(package.manifest_path.clone().into_std_path_buf());
        for dependency in &package.dependencies {
            if let Some(path) = &dependency.path {
                key.content(path.as_std_path().join("Cargo.toml"));
            }
        }
        let Some(dir) = package
            .manifest_path
            .parent()
            .map(|d| d.as_std_path().to_owned())
        else {
            continue;
        };
        // Target auto-discovery: these files by existence, these directories by their entries
        // (and their subdirectories', for `src/bin/NAME/main.rs` and friends).
        for file in ["build.rs", "src/lib.rs", "src/main.rs"] {
            let path = dir.join(file);
            let exists = path.exists();
            key.exists.push((path, exists));
        }
        for sub in ["src/bin", "tests", "benches", "examples"] {
            let sub = dir.join(sub);
            if let Ok(entries) = std::fs::read_dir(&sub) {
                for entry in entries.flatten() {
                    if entry.file_type().is_ok_and(|t| t.is_dir()) {
                        key.stamp(entry.path());
                    }
                }
            }
            key.stamp(sub);
        }
    }
    key
}

impl Key {
    fn content(&mut self, path: PathBuf) {
        let stamp = Stamp::of(&path);
        let digest = std::fs::read(&path).ok().map(|bytes| digest(&bytes));
        self.contents.push((path, stamp, digest));
    }

    /// Whether the files and directories this key describes are still as they were, and the
    /// environment too. Reads a file only when its stamp moved (to tell a `touch` from an edit).
    fn still_holds(&self) -> bool {
        let env: BTreeMap<String, String> = ENV
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v)))
            .collect();
        if env != self.env {
            return false;
        }
        let files_hold = self.contents.iter().all(|(path, stamp, digest)| {
            Stamp::of(path) == *stamp
                || std::fs::read(path)
                    .ok()
                    .map(|bytes| crate::stamp::digest(&bytes))
                    == *digest
        });
        files_hold
            && self
                .dirs
                .iter()
                .all(|(path, stamp)| Stamp::of(path) == *stamp)
            && self
                .exists
                .iter()
                .all(|(path, exists)| path.exists() == *exists)
    }

    fn stamp(&mut self, dir: PathBuf) {
        let stamp = Stamp::of(&dir);
        self.dirs.push((dir, stamp));
    }
}
