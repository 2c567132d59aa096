//! The workspace at one end of a comparison: its graph, lock file and configuration, read
//! from the disk or from a commit.
//!
//! For a commit that is not checked out, the graph must come from that commit, not from the
//! files on disk. `cargo metadata` only reads files, so the commit's manifests are written to a
//! temporary directory, together with empty stand-ins for every `.rs` file (cargo discovers
//! targets by their existence, never by their content), and cargo runs there. Explicit target
//! paths (`[[bin]] path = ...`) need not exist for `cargo metadata`, so only the files cargo's
//! target auto-discovery looks for are written.

use rbee_graph_model::rules::config::NameOf;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cargo_metadata::MetadataCommand;
use gix::ObjectId;
use rbee_graph_model::{Lockfile, WorkspaceGraph};

use crate::cargo::metadata_cache::{CacheKey, CachedGraph};
use crate::error::{Error, Result, one_line};
use crate::git::repo::Repo;
use rbee_graph_model::rules::config::Config;

/// The workspace at one end.
pub struct Snapshot {
    /// The graph.
    pub graph: WorkspaceGraph,
    /// The parsed `Cargo.lock`, if the workspace had one (see [`Snapshot::lock`]).
    lock: OnceLock<Option<Lockfile>>,
    /// The lock file's text, parsed on first use: a graph from the cache was built from a
    /// lock file with the same digest, which parsed then, and most answers need only the graph.
    lock_text: Option<Vec<u8>>,
    /// `[workspace.metadata.rbee-graph]`.
    pub config: Config,
    /// What `cargo metadata` said, kept to rebuild the graph against another lock file; read
    /// from the cache only then when the graph itself came from the cache.
    metadata: OnceLock<cargo_metadata::Metadata>,
    /// Where that metadata comes from when it is not at hand: the workspace on disk, found
    /// from this manifest (or the current directory).
    metadata_from: Option<Option<PathBuf>>,
    /// The directory `metadata`'s paths are relative to (it may no longer exist).
    root: PathBuf,
    /// The manifests of non-member path packages, as read when the graph was built.
    path_manifests: BTreeMap<PathBuf, Option<String>>,
}

impl Snapshot {
    fn new(
        metadata: cargo_metadata::Metadata,
        lock: Option<Lockfile>,
        root: PathBuf,
    ) -> Result<Snapshot> {
        // Manifests of non-member path packages, read once and kept: a commit's files are gone
        // once its temporary directory is, and the graph may be rebuilt later.
        let manifests = std::cell::RefCell::new(BTreeMap::new());
        let read = |path: &Path| {
            let text = std::fs::read_to_string(path).ok();
            manifests.borrow_mut().insert(path.to_owned(), text.clone());
            text
        };
        let graph = WorkspaceGraph::from_metadata_reading(&metadata, lock.as_ref(), &root, &read)?;
        let config = Config::from_workspace_metadata(graph.workspace_metadata())?;
        let path_manifests = manifests.into_inner();
        Ok(Snapshot {
            graph,
            lock: OnceLock::from(lock),
            lock_text: None,
            config,
            metadata: OnceLock::from(metadata),
            metadata_from: None,
            root,
            path_manifests,
        })
    }

    /// The parsed `Cargo.lock`, if the workspace had one.
    pub fn lock(&self) -> Option<&Lockfile> {
        self.lock
            .get_or_init(|| {
                let text = self.lock_text.as_deref()?;
                parse_lock(text, "")
                    .inspect_err(|e| tracing::warn!("{e}"))
                    .ok()
            })
            .as_ref()
    }

    /// Replaces the lock file (the graph is the caller's to match).
    pub fn set_lock(&mut self, lock: Option<Lockfile>) {
        self.lock = OnceLock::from(lock);
        self.lock_text = None;
    }

    /// This workspace's packages, linked to the external crates of another lock file: how a
    /// lock entry that exists at only one end reaches the packages of the other end.
    pub fn graph_with_lock(&self, lock: Option<&Lockfile>) -> Result<WorkspaceGraph> {
        let read = |path: &Path| self.path_manifests.get(path).cloned().flatten();
        let metadata = match (self.metadata.get(), &self.metadata_from) {
            (Some(metadata), _) => metadata,
            (None, Some(manifest_path)) => {
                let (metadata, _) = cached_metadata(manifest_path.as_deref())?;
                self.metadata.get_or_init(|| metadata)
            }
            (None, None) => unreachable!("a snapshot holds its metadata or knows where it is"),
        };
        Ok(WorkspaceGraph::from_metadata_reading(
            metadata, lock, &self.root, &read,
        )?)
    }
}

/// The workspace as it is on disk, and the facts needed to find it at other commits.
pub struct Worktree {
    /// The workspace on disk.
    pub snapshot: Snapshot,
    /// The repository holding it.
    pub repo: Repo,
    /// The workspace root, absolute.
    pub workspace_root: PathBuf,
    /// Cargo's target directory, absolute.
    pub target_directory: PathBuf,
}

impl Worktree {
    /// Where the engine keeps its state: `<target-dir>/rbee-graph`, so `cargo clean` clears
    /// it together with the binaries it describes.
    pub fn state_dir(&self) -> PathBuf {
        self.target_directory.join("rbee-graph")
    }

    /// Cargo's target directory relative to the repository root, when it lies inside it: build
    /// outputs (and rbee-graph's own state) are never inputs, even where no `.gitignore` says
    /// so.
    pub fn target_dir_in_repo(&self) -> Option<String> {
        rbee_graph_model::path::relative_to(&self.target_directory, self.repo.workdir())
            .filter(|r| !r.is_empty())
    }
}

/// Loads the workspace whose manifest is `manifest_path` (or the one holding the current
/// directory, as cargo finds it) and the repository around it.
pub fn load_worktree(manifest_path: Option<&Path>) -> Result<Worktree> {
    if let Some(path) = manifest_path
        && !path.is_file()
    {
        return Err(Error::ManifestNotFound(path.to_owned()));
    }
    let start = crate::cargo::layout::start_manifest(manifest_path);
    let (snapshot, repo, workspace_root, target_directory) = match start
        .as_deref()
        .and_then(|start| cached_graph(start, manifest_path))
    {
        Some(loaded) => loaded,
        None => {
            let (metadata, key) = cached_metadata(manifest_path)?;
            let workspace_root = metadata.workspace_root.clone().into_std_path_buf();
            let repo = Repo::discover(&workspace_root)?;
            let (lock, lock_digest) = read_lock_file(&workspace_root)?;
            let target_directory = metadata.target_directory.clone().into_std_path_buf();
            let snapshot = Snapshot::new(metadata, lock, repo.workdir().to_owned())?;
            if let (Some(start), Some(key)) = (&start, key) {
                let cached = CachedGraph {
                    workspace_root: workspace_root.clone(),
                    target_directory: target_directory.clone(),
                    repo_root: repo.workdir().to_owned(),
                    lock: lock_digest,
                    path_manifests: snapshot.path_manifests.clone(),
                    graph: snapshot.graph.clone(),
                };
                crate::cargo::metadata_cache::store_graph(start, &key, &cached);
            }
            (snapshot, repo, workspace_root, target_directory)
        }
    };
    for unknown in snapshot.config.check_names(&snapshot.graph)? {
        // Warned about and otherwise ignored, so that CI keeps working.
        let what = match unknown.what {
            NameOf::Binary => "binary",
            NameOf::Package => "package",
        };
        tracing::warn!(
            "configuration `workspace.metadata.rbee-graph.{}` names `{}`, but the workspace has \
             no {what} of that name; ignoring it",
            unknown.key,
            unknown.name
        );
    }
    Ok(Worktree {
        snapshot,
        target_directory,
        workspace_root,
        repo,
    })
}

/// Loads the workspace rooted at `workspace_root` (repository-relative) as `commit` has it.
/// `None` when the commit has no manifest there (the workspace did not exist yet).
pub fn load_commit(
    repo: &Repo,
    commit: ObjectId,
    workspace_root: &str,
) -> Result<Option<Snapshot>> {
    let join = |name: &str| rbee_graph_model::path::join(workspace_root, name);
    if repo.read_at(commit, &join("Cargo.toml"))?.is_none() {
        return Ok(None);
    }
    let _phase = crate::progress::phase(format!("reading the workspace at {}", short(commit)));
    let dir = tempfile::Builder::new()
        .prefix("rbee-graph-")
        .tempdir()
        .map_err(Error::io(std::env::temp_dir()))?;
    // Canonical, so that cargo's absolute paths strip cleanly (macOS /tmp is a symlink).
    let root = dir.path().canonicalize().map_err(Error::io(dir.path()))?;
    for file in repo.files_at(commit)? {
        if file.symlink {
            // A symlinked directory or manifest (`src -> ../other/src`) is part of the
            // workspace's shape as cargo sees it: write the link itself.
            let dest = root.join(&file.path);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
            }
            let target = String::from_utf8_lossy(&repo.read_blob(file.id)?).into_owned();
            std::os::unix::fs::symlink(&target, &dest).map_err(Error::io(&dest))?;
            continue;
        }
        if !shapes_the_graph(&file.path) {
            continue;
        }
        let is_manifest = file_name(&file.path) == "Cargo.toml";
        let dest = root.join(&file.path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        let content = if is_manifest {
            repo.read_blob(file.id)?
        } else {
            Vec::new()
        };
        std::fs::write(&dest, content).map_err(Error::io(&dest))?;
    }
    let at = format!(" at {}", short(commit));
    let metadata = cargo_metadata(Some(&root.join(join("Cargo.toml"))), &at).map_err(|e| {
        // The temporary directory means nothing to the user: name paths as the commit has them.
        match e {
            Error::CargoMetadata { at, message } => Error::CargoMetadata {
                at,
                message: without_dir(&message, &root),
            },
            other => other,
        }
    })?;
    let lock = match repo.read_at(commit, &join("Cargo.lock"))? {
        Some(bytes) => Some(parse_lock(&bytes, &at)?),
        None => None,
    };
    Snapshot::new(metadata, lock, root).map(Some)
}

/// `message` with every path into `dir` (absolute, or relative as cargo prints them) made
/// relative to it.
fn without_dir(message: &str, dir: &Path) -> String {
    let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
        return message.to_owned();
    };
    let needle = format!("{name}/");
    let mut out = message.to_owned();
    while let Some(at) = out.find(&needle) {
        let start = out[..at]
            .rfind(|c: char| c.is_whitespace() || matches!(c, '(' | '`' | '"' | '\''))
            .map_or(0, |i| i + 1);
        out.replace_range(start..at + needle.len(), "");
    }
    out
}

/// Whether a change to `path` can change what `cargo metadata --no-deps` reports: manifests,
/// and the `.rs` files whose mere existence makes a target (cargo's target auto-discovery:
/// `src/lib.rs`, `src/main.rs`, `build.rs`, `src/bin/`, `tests/`, `benches/`, `examples/`).
pub(crate) fn shapes_the_graph(path: &str) -> bool {
    let name = file_name(path);
    if name == "Cargo.toml" {
        return true;
    }
    name.ends_with(".rs")
        && (matches!(name, "main.rs" | "lib.rs" | "build.rs")
            || path
                .split('/')
                .any(|part| matches!(part, "bin" | "tests" | "benches" | "examples")))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The workspace on disk from the graph cache, when nothing it was built from changed: the
/// metadata's key, the lock file, the path manifests and the repository.
fn cached_graph(
    start: &Path,
    manifest_path: Option<&Path>,
) -> Option<(Snapshot, Repo, PathBuf, PathBuf)> {
    let cached = crate::cargo::metadata_cache::load_graph(start)?;
    let lock_text = match std::fs::read(cached.workspace_root.join("Cargo.lock")) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => return None,
    };
    let lock_digest = lock_text.as_deref().map(crate::stamp::digest);
    let manifests_hold = cached
        .path_manifests
        .iter()
        .all(|(path, text)| std::fs::read_to_string(path).ok() == *text);
    if lock_digest != cached.lock || !manifests_hold {
        tracing::debug!("graph cache: the lock file or a path manifest changed");
        return None;
    }
    let repo = Repo::discover(&cached.workspace_root).ok()?;
    if repo.workdir() != cached.repo_root {
        return None;
    }
    let config = Config::from_workspace_metadata(cached.graph.workspace_metadata()).ok()?;
    let snapshot = Snapshot {
        graph: cached.graph,
        lock: OnceLock::new(),
        lock_text,
        config,
        metadata: OnceLock::new(),
        metadata_from: Some(manifest_path.map(Path::to_owned)),
        root: cached.repo_root,
        path_manifests: cached.path_manifests,
    };
    Some((
        snapshot,
        repo,
        cached.workspace_root,
        cached.target_directory,
    ))
}

/// The workspace's `Cargo.lock`, parsed, and its digest; `None` when there is none.
fn read_lock_file(workspace_root: &Path) -> Result<(Option<Lockfile>, Option<String>)> {
    let lock_path = workspace_root.join("Cargo.lock");
    match std::fs::read(&lock_path) {
        Ok(bytes) => Ok((
            Some(parse_lock(&bytes, "")?),
            Some(crate::stamp::digest(&bytes)),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((None, None)),
        Err(e) => Err(Error::Io {
            path: lock_path,
            error: e,
        }),
    }
}

/// `cargo metadata` for the workspace on disk, from the cache when it is up to date, with the
/// cache's key (`None` when there is no place for a cache).
fn cached_metadata(
    manifest_path: Option<&Path>,
) -> Result<(cargo_metadata::Metadata, Option<CacheKey>)> {
    let start = crate::cargo::layout::start_manifest(manifest_path);
    if let Some(start) = &start
        && let Some((metadata, key)) = crate::cargo::metadata_cache::load(start)
    {
        return Ok((metadata, Some(key)));
    }
    let started = std::time::SystemTime::now();
    let metadata = {
        let _phase = crate::progress::phase("reading the workspace (cargo metadata)");
        cargo_metadata(manifest_path, "")?
    };
    let key = start
        .as_deref()
        .map(|start| crate::cargo::metadata_cache::store(start, &metadata, started));
    Ok((metadata, key))
}

fn cargo_metadata(manifest_path: Option<&Path>, at: &str) -> Result<cargo_metadata::Metadata> {
    let run = |toolchain: Option<&str>| {
        let mut command = MetadataCommand::new();
        command.no_deps();
        if let Some(path) = manifest_path {
            command.manifest_path(path);
        }
        if let Some(toolchain) = toolchain {
            command.env("RUSTUP_TOOLCHAIN", toolchain);
        }
        command.exec()
    };
    let result = match run(None) {
        // A `rust-toolchain.toml` pinning a toolchain that is not installed stops rustup from
        // running cargo at all. `cargo metadata --no-deps` reads manifests the same way with
        // any cargo, so read them with the default toolchain rather than fail (building still
        // needs the pinned one, and says so).
        Err(cargo_metadata::Error::CargoMetadata { stderr })
            if stderr.contains("is not installed")
                && std::env::var_os("RUSTUP_TOOLCHAIN").is_none() =>
        {
            match crate::cargo::toolchain::rustup_default_toolchain() {
                Some(default) => {
                    tracing::warn!(
                        "{}; reading the workspace with {default} instead",
                        one_line(&stderr)
                    );
                    run(Some(&default))
                }
                None => Err(cargo_metadata::Error::CargoMetadata { stderr }),
            }
        }
        other => other,
    };
    result.map_err(|e| {
        let message = match e {
            cargo_metadata::Error::CargoMetadata { stderr } if stderr.trim().is_empty() => {
                "cargo exited with an error and printed nothing; check that `cargo` (or $CARGO) \
                 is a working cargo"
                    .to_owned()
            }
            cargo_metadata::Error::CargoMetadata { stderr } => one_line(&stderr),
            cargo_metadata::Error::Io(io) => {
                format!("cannot run cargo ({io}); is cargo installed and on PATH?")
            }
            other => one_line(&other.to_string()),
        };
        Error::CargoMetadata {
            at: at.to_owned(),
            message,
        }
    })
}

fn parse_lock(bytes: &[u8], at: &str) -> Result<Lockfile> {
    let text = String::from_utf8_lossy(bytes);
    Lockfile::parse(&text).map_err(|error| Error::Lockfile {
        file: "Cargo.lock".to_owned(),
        at: at.to_owned(),
        error,
    })
}

/// The abbreviated form of a commit id, for messages.
pub(crate) fn short(id: ObjectId) -> String {
    id.to_hex_with_len(12).to_string()
}
