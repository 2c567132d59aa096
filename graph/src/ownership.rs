//! Which package owns a path.

use crate::path::is_within;
use crate::{PackageId, WorkspaceGraph};

impl WorkspaceGraph {
    /// The innermost package whose directory holds `path` (a repository-relative path), or
    /// `None` when no package does. Nested packages win over the packages around them, so a
    /// root package owns only what no other package claims.
    ///
    /// Costs one hash lookup per directory level of `path`.
    pub fn owner(&self, path: &str) -> Option<PackageId> {
        let mut dir = path;
        loop {
            if let Some(&id) = self.by_dir.get(dir) {
                // `by_dir` keys are directories; `path` itself may be a file with that name.
                if is_within(path, dir) {
                    return Some(id);
                }
            }
            match dir.rfind('/') {
                Some(slash) => dir = &dir[..slash],
                None if !dir.is_empty() => dir = "",
                None => return None,
            }
        }
    }
}

/// What a path inside a package is to that package, as far as rebuilding goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathRole {
    /// Shared by the whole package (library sources, the manifest, the build script, data
    /// files): every binary of the package and of its dependents is affected.
    Package,
    /// The source of one binary only: `src/main.rs` beside a lib, `src/bin/NAME.rs`,
    /// `src/bin/NAME/**`, or a bin target's `path`.
    Binary(String),
    /// Only tests, benches and examples see it (`tests/`, `benches/`, `examples/`).
    TestOnly,
}

impl WorkspaceGraph {
    /// Classifies `path`, which lies inside package `id`'s directory.
    ///
    /// A file that is the root of a library or build script is [`PathRole::Package`] even if a
    /// bin names it too: whatever is shared counts for everyone.
    pub fn role_of(&self, id: PackageId, path: &str) -> PathRole {
        let package = self.package(id);
        let Some(dir) = package.dir.as_deref() else {
            return PathRole::Package;
        };
        let Some(rel) = crate::path::strip_dir(path, dir) else {
            return PathRole::Package;
        };
        let is_src = |t: &&crate::Target| t.src_path.as_deref() == Some(path);
        if package
            .targets
            .iter()
            .filter(|t| !t.kind.is_test_only())
            .any(|t| t.kind != crate::TargetKind::Bin && is_src(&t))
        {
            return PathRole::Package;
        }
        for bin in package.bins() {
            if is_src(&bin) || bin_dirs(bin, dir).any(|d| crate::path::is_within(rel, &d)) {
                return PathRole::Binary(bin.name.clone());
            }
        }
        let first = rel.split('/').next().unwrap_or("");
        let in_test_dir = matches!(first, "tests" | "benches" | "examples") && rel.contains('/');
        if in_test_dir
            || package
                .targets
                .iter()
                .any(|t| t.kind.is_test_only() && is_src(&t))
        {
            return PathRole::TestOnly;
        }
        PathRole::Package
    }
}

/// The directories (relative to the package) that hold one binary's own modules:
/// `src/bin/NAME/` for the bin's name, and the directory its source file implies
/// (`src/bin/x/main.rs` -> `src/bin/x/`, `src/bin/x.rs` -> `src/bin/x/`).
fn bin_dirs<'a>(bin: &'a crate::Target, package_dir: &str) -> impl Iterator<Item = String> + 'a {
    let from_src = bin
        .src_path
        .as_deref()
        .and_then(|src| crate::path::strip_dir(src, package_dir))
        .filter(|src| src.starts_with("src/bin/"))
        .and_then(|src| {
            src.strip_suffix("/main.rs")
                .or_else(|| src.strip_suffix(".rs"))
        })
        .map(str::to_owned);
    std::iter::once(format!("src/bin/{}", bin.name)).chain(from_src)
}
