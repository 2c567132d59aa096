//! Where cargo's things are, found as cargo finds them: the manifest it starts from, the
//! workspace root it picks, and the target directory it writes to.

use std::path::{Path, PathBuf};

/// The manifest cargo would start from: `manifest_path`, or the nearest `Cargo.toml` at or
/// above the current directory.
pub(crate) fn start_manifest(manifest_path: Option<&Path>) -> Option<PathBuf> {
    match manifest_path {
        Some(path) => std::path::absolute(path).ok(),
        None => {
            let cwd = std::env::current_dir().ok()?;
            cwd.ancestors()
                .map(|dir| dir.join("Cargo.toml"))
                .find(|p| p.is_file())
        }
    }
}

/// The workspace root cargo would pick for `start`: the manifest itself if it has a
/// `[workspace]` table, else the nearest ancestor manifest that has one, else `start`'s
/// directory. (`package.workspace` pointing elsewhere is honoured.)
pub(crate) fn workspace_root(start: &Path) -> Option<PathBuf> {
    let dir = start.parent()?;
    let text = std::fs::read_to_string(start).ok()?;
    // Most starts are the root itself: a `[workspace]` header says so without parsing a
    // large manifest.
    if text.lines().any(|line| line.trim_end() == "[workspace]") {
        return Some(dir.to_owned());
    }
    let table: toml::Table = text.parse().ok()?;
    if table.contains_key("workspace") {
        return Some(dir.to_owned());
    }
    if let Some(explicit) = table
        .get("package")
        .and_then(|p| p.get("workspace"))
        .and_then(|w| w.as_str())
    {
        return Some(dir.join(explicit));
    }
    for ancestor in dir.ancestors().skip(1) {
        let manifest = ancestor.join("Cargo.toml");
        if manifest.is_file() && read_toml(&manifest).is_some_and(|t| t.contains_key("workspace")) {
            return Some(ancestor.to_owned());
        }
    }
    Some(dir.to_owned())
}

pub(crate) fn read_toml(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path).ok()?.parse().ok()
}

/// The target directory cargo would use for the workspace at `root` (cargo runs there):
/// `CARGO_TARGET_DIR`, `build.target-dir` in the configuration cargo reads there (up to
/// `$CARGO_HOME/config.toml`), else `target/`.
pub(crate) fn target_directory(root: &Path) -> PathBuf {
    crate::cargo::config::CargoConfig::load(root)
        .target_dir(root)
        .unwrap_or_else(|| root.join("target"))
}
