//! A cache of `cargo metadata`, so that a warm query (and a fresh `ensure`) runs no cargo.
//!
//! The cache lives at `<target-dir>/rbee-graph/metadata.json` and is keyed on everything
//! `cargo metadata --no-deps` reads: the content of every manifest of the workspace (each
//! once) and of the cargo configuration files around it, the entries of the directories that
//! make targets and members (target auto-discovery and `members` globs look at what exists: a
//! package directory's `build.rs` and target directories, `src/lib.rs`, `src/main.rs`, what is
//! in `src/bin`, `tests`, ...), and the environment variables that move the target directory.
//! A file or directory is read again only when its stamp moved, and a key taken while cargo
//! may have been reading a file that changed (git's "racy" case) does not hold.
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
const VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    version: u32,
    /// The manifest the user pointed at (or found from the current directory).
    start: PathBuf,
    /// When `cargo metadata` started, in nanoseconds since the Unix epoch. A file or
    /// directory modified within a clock tick of it may have changed while cargo read it, or
    /// may change again without its stamp moving ("racy", as git says): the key does not hold
    /// while one is, and the next run asks cargo again (and takes a key that is not racy).
    started_ns: i128,
    /// Manifests and cargo configuration files: a stamp, and the content digest (`None`:
    /// missing). When the stamp still matches, the file is not read again.
    contents: Vec<(PathBuf, Stamp, Option<String>)>,
    /// Directories whose entries shape the answer, with those entries.
    dirs: Vec<Watched>,
    /// Environment variables cargo reads for these answers.
    env: BTreeMap<String, String>,
}

/// A directory whose entries cargo looks at, with the entries that matter as they were.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Watched {
    path: PathBuf,
    role: Role,
    stamp: Stamp,
    /// The names that matter, sorted; a directory's name ends in `/`.
    entries: Vec<String>,
}

/// What a watched directory is to cargo, and so which of its entries matter. Only the
/// entries that matter are kept: an editor that saves by renaming a new file over
/// `src/lib.rs` moves the stamp of `src/` without changing any target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Role {
    /// A package directory: `build.rs` and the target directories.
    Package,
    /// `src/`: `lib.rs`, `main.rs`, `bin/`.
    Src,
    /// `src/bin`, `tests`, `benches`, `examples`: every `.rs` file and directory.
    Targets,
    /// A directory under those: `main.rs`.
    TargetDir,
    /// Where a `members` glob expands: every directory.
    Members,
}

impl Role {
    fn matters(self, name: &str, is_dir: bool) -> bool {
        match self {
            Role::Package => {
                (name == "build.rs" && !is_dir)
                    || (is_dir && matches!(name, "src" | "tests" | "benches" | "examples"))
            }
            Role::Src => {
                (!is_dir && matches!(name, "lib.rs" | "main.rs")) || (is_dir && name == "bin")
            }
            Role::Targets => is_dir || name.ends_with(".rs"),
            Role::TargetDir => !is_dir && name == "main.rs",
            Role::Members => is_dir,
        }
    }
}

/// The entries of `dir` that matter for `role`, sorted; `None` when it cannot be read.
fn entries(dir: &Path, role: Role) -> Option<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            // Followed like cargo follows it: a symlink to a directory is a directory.
            let is_dir = entry.path().is_dir();
            let name = entry.file_name().into_string().ok()?;
            role.matters(&name, is_dir)
                .then(|| if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    Some(names)
}

#[derive(Deserialize)]
struct Cached {
    key: Key,
    metadata: cargo_metadata::Metadata,
}

#[derive(Serialize)]
struct StoringMetadata<'a> {
    key: &'a Key,
    metadata: &'a cargo_metadata::Metadata,
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

/// What the metadata cache was keyed on, for the graph stored beside it.
pub struct CacheKey(Key);

/// The graph built from the cached metadata, stored beside it (`graph.json`): loading it costs
/// a fraction of parsing cargo's metadata and building the graph again.
#[derive(Serialize, Deserialize)]
pub struct CachedGraph {
    /// The workspace root, absolute.
    pub workspace_root: PathBuf,
    /// Cargo's target directory, absolute.
    pub target_directory: PathBuf,
    /// The repository root the graph's paths are relative to.
    pub repo_root: PathBuf,
    /// The digest of the `Cargo.lock` the graph was built with (`None`: there was none).
    pub lock: Option<String>,
    /// The manifests of non-member path packages, as read when the graph was built.
    pub path_manifests: BTreeMap<PathBuf, Option<String>>,
    /// The graph.
    pub graph: rbee_graph_model::WorkspaceGraph,
}

#[derive(Serialize)]
struct StoringGraph<'a> {
    key: &'a Key,
    graph: &'a CachedGraph,
}

#[derive(Deserialize)]
struct StoredGraph {
    key: Key,
    graph: CachedGraph,
}

/// The cached metadata for `start`, if the cache is there and nothing it depends on changed.
pub fn load(start: &Path) -> Option<(cargo_metadata::Metadata, CacheKey)> {
    let file = cache_file(start)?;
    let bytes = std::fs::read(&file).ok()?;
    let cached: Cached = serde_json::from_slice(&bytes).ok()?;
    if cached.key.start != start || !cached.key.still_holds() {
        tracing::debug!("metadata cache is out of date");
        return None;
    }
    Some((cached.metadata, CacheKey(cached.key)))
}

/// The graph stored for `start`, if nothing the metadata depends on changed since. What else
/// the graph was built from (the lock file, the path manifests) is for the caller to check.
pub fn load_graph(start: &Path) -> Option<CachedGraph> {
    let file = cache_file(start)?.with_file_name("graph.json");
    let bytes = std::fs::read(&file).ok()?;
    let stored: StoredGraph = serde_json::from_slice(&bytes).ok()?;
    let checked = (stored.key.start == start)
        .then(|| stored.key.check())
        .flatten();
    let Some(refreshed) = checked else {
        tracing::debug!("graph cache is out of date");
        return None;
    };
    if let Some(key) = refreshed {
        tracing::debug!("graph cache holds; keeping the stamps that moved");
        let storing = StoringGraph {
            key: &key,
            graph: &stored.graph,
        };
        let json = serde_json::to_vec(&storing).expect("a graph serializes");
        if let Err(e) = crate::stamp::write_cache(&file, &json) {
            tracing::debug!("cannot cache the graph: {e}");
        }
    }
    Some(stored.graph)
}

/// Stores `graph`, built from the metadata cached under `key`, beside that metadata.
pub fn store_graph(start: &Path, key: &CacheKey, graph: &CachedGraph) {
    let Some(file) = cache_file(start).map(|f| f.with_file_name("graph.json")) else {
        return;
    };
    if normalize(&file) != normalize(&graph.target_directory.join("rbee-graph").join("graph.json"))
    {
        return;
    }
    let stored = StoringGraph { key: &key.0, graph };
    let json = serde_json::to_vec(&stored).expect("a graph serializes");
    if let Err(e) = crate::stamp::write_cache(&file, &json) {
        tracing::debug!("cannot cache the graph: {e}");
    }
}

/// Stores `metadata` for `start`, when the cache location agrees with cargo's target directory.
/// `started` is when the `cargo metadata` that answered `metadata` started. The key is
/// returned either way, for a graph built from the metadata.
pub fn store(
    start: &Path,
    metadata: &cargo_metadata::Metadata,
    started: std::time::SystemTime,
) -> CacheKey {
    let key = key_for(start, metadata, started);
    let Some(file) = cache_file(start) else {
        return CacheKey(key);
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
        return CacheKey(key);
    }
    let cached = StoringMetadata {
        key: &key,
        metadata,
    };
    let json = serde_json::to_vec(&cached).expect("metadata serializes");
    if let Err(e) = crate::stamp::write_cache(&file, &json) {
        tracing::debug!("cannot cache metadata: {e}");
    }
    CacheKey(key)
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

fn key_for(
    start: &Path,
    metadata: &cargo_metadata::Metadata,
    started: std::time::SystemTime,
) -> Key {
    let root = metadata.workspace_root.as_std_path();
    let mut key = Key {
        version: VERSION,
        start: start.to_owned(),
        started_ns: nanos(started),
        contents: Vec::new(),
        dirs: Vec::new(),
        env: ENV
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v)))
            .collect(),
    };
    let mut seen = std::collections::HashSet::new();
    let mut content = |key: &mut Key, path: PathBuf| {
        // A manifest is named by every package that depends on it by path: stat it once.
        if seen.insert(path.clone()) {
            key.content(path);
        }
    };
    content(&mut key, start.to_owned());
    content(&mut key, root.join("Cargo.toml"));
    for dir in root.ancestors() {
        content(&mut key, dir.join(".cargo").join("config.toml"));
        content(&mut key, dir.join(".cargo").join("config"));
    }
    // A new member under a `members` glob shows in the directory the glob expands in.
    for dir in glob_dirs(root) {
        key.watch(dir, Role::Members);
    }
    for package in &metadata.packages {
        content(&mut key, package.manifest_path.clone().into_std_path_buf());
        for dependency in &package.dependencies {
            if let Some(path) = &dependency.path {
                content(&mut key, path.as_std_path().join("Cargo.toml"));
            }
        }
        let Some(dir) = package
            .manifest_path
            .parent()
            .map(|d| d.as_std_path().to_owned())
        else {
            continue;
        };
        // Target auto-discovery looks at what exists: `build.rs`, `src/lib.rs`,
        // `src/main.rs`, and the entries of the target directories (and of their
        // subdirectories, for `src/bin/NAME/main.rs` and friends). A directory that does not
        // exist shows up in its parent's entries when it is made.
        let package_entries = key.watch(dir.clone(), Role::Package);
        if package_entries.iter().any(|e| e == "src/") {
            let src_entries = key.watch(dir.join("src"), Role::Src);
            if src_entries.iter().any(|e| e == "bin/") {
                key.watch_targets(dir.join("src").join("bin"));
            }
        }
        for sub in ["tests", "benches", "examples"] {
            if package_entries
                .iter()
                .any(|e| e.strip_suffix('/') == Some(sub))
            {
                key.watch_targets(dir.join(sub));
            }
        }
    }
    key
}

fn nanos(time: std::time::SystemTime) -> i128 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// How close to the start of `cargo metadata` a modification time must be for its stamp to be
/// distrusted: file system clocks advance in ticks of a few milliseconds.
const RACY_NS: i128 = 50_000_000;

impl Key {
    fn content(&mut self, path: PathBuf) {
        let stamp = Stamp::of(&path);
        let digest = std::fs::read(&path).ok().map(|bytes| digest(&bytes));
        self.contents.push((path, stamp, digest));
    }

    /// Watches `dir` in `role`; returns the entries that matter (none when it cannot be read).
    fn watch(&mut self, path: PathBuf, role: Role) -> Vec<String> {
        let stamp = Stamp::of(&path);
        let entries = entries(&path, role).unwrap_or_default();
        self.dirs.push(Watched {
            path,
            role,
            stamp,
            entries: entries.clone(),
        });
        entries
    }

    /// Watches a target directory (`tests`, `src/bin`, ...) and each directory in it.
    fn watch_targets(&mut self, path: PathBuf) {
        for entry in self.watch(path.clone(), Role::Targets) {
            if let Some(name) = entry.strip_suffix('/') {
                self.watch(path.join(name), Role::TargetDir);
            }
        }
    }

    /// Whether the files and directories this key describes are still as they were, and the
    /// environment too. Reads a file only when its stamp moved (to tell a `touch` from an
    /// edit), and lists a directory only when its stamp moved (to tell an editor's save by
    /// renaming from a new target).
    fn still_holds(&self) -> bool {
        self.check().is_some()
    }

    /// [`Self::still_holds`], and where it holds although stamps moved (a checkout rewrote
    /// the files, an editor saved by renaming), the key with the stamps as they are now, so
    /// that the next run reads and lists none of them again. `Some(None)`: it holds and
    /// nothing needs keeping (no stamp moved, or one moved too recently to trust).
    fn check(&self) -> Option<Option<Key>> {
        let env: BTreeMap<String, String> = ENV
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v)))
            .collect();
        if env != self.env {
            return None;
        }
        let racy = |stamp: &Stamp| stamp.mtime_ns + RACY_NS >= self.started_ns;
        if self.contents.iter().any(|(_, stamp, _)| racy(stamp))
            || self.dirs.iter().any(|dir| racy(&dir.stamp))
        {
            return None;
        }
        let now_ns = nanos(std::time::SystemTime::now());
        let mut refreshed = self.clone();
        let mut moved = false;
        let mut trusted = true;
        let mut moved_to = |stamp: Stamp| {
            moved = true;
            trusted &= stamp.mtime_ns + RACY_NS < now_ns;
            stamp
        };
        for (i, (path, stamp, digest)) in self.contents.iter().enumerate() {
            let now = Stamp::of(path);
            if now == *stamp {
                continue;
            }
            let content = std::fs::read(path)
                .ok()
                .map(|bytes| crate::stamp::digest(&bytes));
            if content != *digest {
                return None;
            }
            refreshed.contents[i].1 = moved_to(now);
        }
        for (i, dir) in self.dirs.iter().enumerate() {
            let now = Stamp::of(&dir.path);
            if now == dir.stamp {
                continue;
            }
            if entries(&dir.path, dir.role).unwrap_or_default() != dir.entries {
                return None;
            }
            refreshed.dirs[i].stamp = moved_to(now);
        }
        refreshed.started_ns = now_ns;
        Some((moved && trusted).then_some(refreshed))
    }
}
