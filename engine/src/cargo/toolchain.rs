//! The toolchain and the environment cargo reads: two inputs of every binary that git does not
//! see.
//!
//! `rustc -vV` costs a process (about 20 ms through rustup). Its answer is cached in the target
//! directory, keyed on what could change it without changing the repository: the `rustc` that
//! `PATH` or `$RUSTC` names, rustup's settings and installed toolchains, and the variables that
//! pick a toolchain. A fresh check therefore spawns nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stamp::Stamp;

/// Environment variables that change what cargo builds, compared exactly. Which `rustc` runs
/// (`RUSTC`) counts through `rustc -vV`, as it does for cargo; a wrapper (`RUSTC_WRAPPER`,
/// sccache) does not count at all: cargo does not rebuild for it, and a wrapper that changed
/// the output would be broken.
const VARIABLES: &[&str] = &[
    "RUSTC_BOOTSTRAP",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTUP_TOOLCHAIN",
];

/// Prefixes of cargo's configuration-through-environment (`CARGO_BUILD_RUSTFLAGS`,
/// `CARGO_PROFILE_RELEASE_LTO`, `CARGO_TARGET_<TRIPLE>_LINKER`, ...).
const PREFIXES: &[&str] = &[
    "CARGO_BUILD_",
    "CARGO_PROFILE_",
    "CARGO_TARGET_",
    "CARGO_UNSTABLE_",
];

/// Variables under those prefixes that say where things go, not what is built. The records
/// live in the target directory, so it cannot differ between a record and its check.
const LOCATION_ONLY: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_JOBS",
    "CARGO_BUILD_RUSTC",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
];

/// The environment inputs of a build: the variables above that are set. (Cargo's
/// configuration files, `$CARGO_HOME/config.toml` among them, are input files of every build:
/// see [`crate::records::inputs`].)
pub fn build_environment() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(name, _)| {
            !LOCATION_ONLY.contains(&name.as_str())
                && (VARIABLES.contains(&name.as_str())
                    || PREFIXES.iter().any(|prefix| name.starts_with(prefix)))
        })
        .collect()
}

/// The target triple cargo builds for in `workspace_root`, and whether it was asked for
/// (cargo then writes to `<target-dir>/<triple>/`): `--target`, else as configured
/// (`CARGO_BUILD_TARGET`, `build.target`), else the host's from `rustc -vV`.
pub fn build_target(
    workspace_root: &Path,
    rustc_version: &str,
    flags: &crate::cargo::flags::CargoFlags,
) -> (String, bool) {
    match flags
        .target
        .clone()
        .or_else(|| crate::cargo::config::CargoConfig::load(workspace_root).build_target())
    {
        Some(triple) => (triple, true),
        None => (host_triple(rustc_version).to_owned(), false),
    }
}

/// Every toolchain file rustup may read for a build run in `dir` (present or not).
pub fn toolchain_files(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .flat_map(|d| [d.join("rust-toolchain"), d.join("rust-toolchain.toml")])
        .collect()
}

fn rustup_home() -> Option<PathBuf> {
    std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".rustup")))
}

/// rustup's default toolchain (`rustup default`), read from its settings file.
pub(crate) fn rustup_default_toolchain() -> Option<String> {
    let settings = std::fs::read_to_string(rustup_home()?.join("settings.toml")).ok()?;
    let table: toml::Table = settings.parse().ok()?;
    table.get("default_toolchain")?.as_str().map(str::to_owned)
}

/// What could change the answer of `rustc -vV` without a change in the repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Key {
    rustc: Option<PathBuf>,
    stamps: BTreeMap<String, Stamp>,
    variables: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
struct Cached {
    key: Key,
    version: String,
}

fn current_key(workspace_root: &Path) -> Key {
    let rustc = std::env::var_os("RUSTC")
        .map(PathBuf::from)
        .or_else(|| find_on_path("rustc"));
    let mut stamps = BTreeMap::new();
    let mut stamp = |label: String, path: &Path| {
        stamps.insert(label, Stamp::of(path));
    };
    if let Some(rustc) = &rustc {
        stamp("rustc".to_owned(), rustc);
    }
    if let Some(home) = rustup_home() {
        // `rustup default`, `rustup update` and `rustup toolchain install` touch these.
        stamp(
            "rustup/settings.toml".to_owned(),
            &home.join("settings.toml"),
        );
        stamp("rustup/toolchains".to_owned(), &home.join("toolchains"));
        stamp(
            "rustup/update-hashes".to_owned(),
            &home.join("update-hashes"),
        );
    }
    // rustup reads the toolchain file of the directory cargo runs in and its ancestors.
    for dir in workspace_root.ancestors() {
        for name in ["rust-toolchain", "rust-toolchain.toml"] {
            let path = dir.join(name);
            if path.exists() {
                stamp(path.display().to_string(), &path);
            }
        }
    }
    // Not PATH itself: the `rustc` it leads to is resolved and stamped above, and callers
    // (daemons, shells, CI steps) often differ in PATH entries that have nothing to do with it.
    let variables = ["RUSTC", "RUSTUP_TOOLCHAIN", "RUSTUP_HOME"]
        .iter()
        .filter_map(|name| {
            std::env::var(name)
                .ok()
                .map(|value| (name.to_string(), value))
        })
        .collect();
    Key {
        rustc,
        stamps,
        variables,
    }
}

/// `rustc -vV` for the toolchain cargo would use in `workspace_root`, from the cache in
/// `state_dir` when nothing it depends on changed.
pub fn rustc_version(workspace_root: &Path, state_dir: &Path) -> Result<String> {
    let cache = state_dir.join("rustc.json");
    let key = current_key(workspace_root);
    if let Ok(bytes) = std::fs::read(&cache)
        && let Ok(cached) = serde_json::from_slice::<Cached>(&bytes)
        && cached.key == key
    {
        return Ok(cached.version);
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    tracing::debug!(?rustc, "running rustc -vV");
    let output = std::process::Command::new(&rustc)
        .arg("-vV")
        .current_dir(workspace_root)
        .output()
        .map_err(|e| {
            Error::Toolchain(format!("cannot run {}: {e}", Path::new(&rustc).display()))
        })?;
    if !output.status.success() {
        return Err(Error::Toolchain(crate::error::one_line(
            &String::from_utf8_lossy(&output.stderr),
        )));
    }
    let version = String::from_utf8_lossy(&output.stdout).into_owned();
    let cached = Cached {
        key,
        version: version.clone(),
    };
    let json = serde_json::to_vec_pretty(&cached).expect("the cache serializes");
    // A cache that cannot be written only costs time next run.
    if let Err(e) = crate::stamp::write_cache(&cache, &json) {
        tracing::debug!("cannot cache rustc -vV: {e}");
    }
    Ok(version)
}

/// The host triple from `rustc -vV` output.
pub fn host_triple(version: &str) -> &str {
    version
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::trim)
        .unwrap_or("unknown")
}

/// The first executable called `name` on `PATH`, without spawning anything.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
