//! Classifying one path: which of the path rules decides it (global, the lock file, a
//! package's file with its role, an `owners` glob, ignored, unowned), and for `why`, which
//! glob or package did.

use globset::{GlobMatcher, GlobSet};

use crate::path::strip_dir;
use crate::rules::config::{self, Config};
use crate::{PackageId, PathRole, Result, WorkspaceGraph};

/// Compiled path rules for one workspace.
pub struct PathRules {
    pub(super) workspace_root: String,
    global: GlobSet,
    global_patterns: Vec<String>,
    ignore: GlobSet,
    /// The default ignore globs first, then the configured ones.
    ignore_patterns: Vec<String>,
    ignore_outside_packages: GlobSet,
    owners: Vec<(GlobMatcher, String, Vec<String>)>,
    /// `test-owners`: globs of files packages' tests read at run time.
    pub(super) test_owners: Vec<(GlobMatcher, Vec<String>)>,
    /// Cargo's target directory (repository-relative), whose files are outputs, not inputs.
    outputs: Option<String>,
}

/// The files every build reads, relative to the workspace root.
const GLOBAL_FILES: &[&str] = &[
    "Cargo.toml",
    "rust-toolchain",
    "rust-toolchain.toml",
    ".cargo/config",
    ".cargo/config.toml",
];

/// Of those, the ones that also count in any directory above the workspace root (rustup and
/// cargo look for them upwards).
const GLOBAL_FILES_ABOVE: &[&str] = &[
    "rust-toolchain",
    "rust-toolchain.toml",
    ".cargo/config",
    ".cargo/config.toml",
];

/// The rule that decided a path, as `PathRules::classify` finds it. Variants say which rule
/// matched (so [`PathRules::explain`] can name it) without the cost of finding which glob did.
pub(super) enum Class {
    Global(GlobalBy),
    LockFile,
    InPackage(PackageId, PathRole),
    Owners(Vec<String>),
    Ignored(IgnoredBy),
    Unowned,
}

#[derive(Clone, Copy)]
pub(super) enum GlobalBy {
    File,
    Above,
    Glob,
}

#[derive(Clone, Copy)]
pub(super) enum IgnoredBy {
    Outputs,
    OutsideWorkspace,
    Glob,
    OutsidePackages,
}

/// Which of the path rules (docs/design.md) classifies a path, and how: what `rbee-graph why`
/// shows. Rules are tried in this order; the first that matches wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathClass {
    /// Rule 1: every build reads it, so every binary is affected.
    Global(GlobalRule),
    /// Rule 2: the workspace's `Cargo.lock`. Its changed entries, not its text, decide.
    LockFile,
    /// Rule 3: inside a package (the innermost one; a root package only owns what no other
    /// package claims). The role says which of its binaries see it.
    Package {
        /// The owning package.
        package: String,
        /// What the path is to the package: shared, one binary's own source, or test-only.
        role: PathRole,
    },
    /// Rule 5, mapped: outside every package, but configured `owners` globs map it onto these
    /// packages.
    Owners {
        /// The packages it is mapped onto.
        packages: Vec<String>,
        /// The `owners` globs that matched.
        globs: Vec<String>,
    },
    /// Rule 4: affects nothing.
    Ignored(IgnoreRule),
    /// Rule 5: outside every package and not ignored: a build script or `include_str!` may
    /// read it, so every binary is affected (unless dep-info says which binaries read it).
    Unowned,
}

/// Why a path is global.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobalRule {
    /// One of the files every build reads, at the workspace root: the root `Cargo.toml`,
    /// `rust-toolchain(.toml)`, `.cargo/config(.toml)`.
    WorkspaceFile,
    /// A toolchain or cargo configuration file in a directory above the workspace root.
    AboveWorkspace,
    /// A configured `global` glob.
    Glob(String),
}

/// Why a path affects nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgnoreRule {
    /// It lies in cargo's target directory: a build output, never an input.
    BuildOutput,
    /// It lies outside the workspace root.
    OutsideWorkspace,
    /// An `ignore` glob matched: a default one (`docs/**`, ...) or a configured one.
    Glob {
        /// The glob, relative to the workspace root.
        pattern: String,
        /// Whether it comes from the configuration rather than the defaults.
        configured: bool,
    },
    /// Markdown outside every package.
    OutsidePackages(String),
}

impl PathRules {
    /// The packages whose tests the configured `test-owners` globs say read `path`
    /// (repository-relative) at run time; empty when none matches.
    pub fn test_owners_of(&self, path: &str) -> Vec<&str> {
        let rel = strip_dir(path, &self.workspace_root).unwrap_or(path);
        self.test_owners
            .iter()
            .filter(|(glob, _)| glob.is_match(rel))
            .flat_map(|(_, packages)| packages.iter().map(String::as_str))
            .collect()
    }

    /// Compiles the default rules plus the configured globs.
    pub fn new(workspace_root: &str, config: &Config) -> Result<PathRules> {
        let mut ignore: Vec<String> = config::DEFAULT_IGNORE
            .iter()
            .map(|s| s.to_string())
            .collect();
        ignore.extend(config.ignore.iter().cloned());
        let owners = config
            .owners
            .iter()
            .map(|(pattern, packages)| {
                Ok((
                    config::glob("owners", pattern)?.compile_matcher(),
                    pattern.clone(),
                    packages.clone(),
                ))
            })
            .collect::<Result<_>>()?;
        let test_owners = config
            .test_owners
            .iter()
            .map(|(pattern, packages)| {
                Ok((
                    config::glob("test-owners", pattern)?.compile_matcher(),
                    packages.clone(),
                ))
            })
            .collect::<Result<_>>()?;
        Ok(PathRules {
            test_owners,
            workspace_root: workspace_root.to_owned(),
            global: config::glob_set("global", &config.global)?,
            global_patterns: config.global.clone(),
            ignore: config::glob_set("ignore", &ignore)?,
            ignore_patterns: ignore,
            ignore_outside_packages: config::glob_set(
                "ignore",
                config::DEFAULT_IGNORE_OUTSIDE_PACKAGES,
            )?,
            owners,
            outputs: None,
        })
    }

    /// Ignores everything below `target_dir` (repository-relative): cargo's outputs and
    /// rbee-graph's own state, which a repository without a `.gitignore` would report.
    pub fn ignoring_outputs(mut self, target_dir: Option<String>) -> PathRules {
        self.outputs = target_dir;
        self
    }

    /// Whether `path` falls to rule 5: outside every package, not ignored, not global. Such a
    /// path affects every binary unless a dep-info file says which files a binary read.
    pub fn is_unowned(&self, graph: &WorkspaceGraph, path: &str) -> bool {
        matches!(self.classify(graph, path), Class::Unowned)
    }

    /// Which rule classifies `path` (repository-relative) in `graph`, naming the glob or
    /// package that decided it. The same decision [`affected`] makes, for people to read.
    pub fn explain(&self, graph: &WorkspaceGraph, path: &str) -> PathClass {
        let rel = strip_dir(path, &self.workspace_root).unwrap_or(path);
        let first = |set: &GlobSet, patterns: &[String]| -> (usize, String) {
            let index = set.matches(rel).into_iter().next().unwrap_or(0);
            (index, patterns.get(index).cloned().unwrap_or_default())
        };
        match self.classify(graph, path) {
            Class::Global(GlobalBy::File) => PathClass::Global(GlobalRule::WorkspaceFile),
            Class::Global(GlobalBy::Above) => PathClass::Global(GlobalRule::AboveWorkspace),
            Class::Global(GlobalBy::Glob) => PathClass::Global(GlobalRule::Glob(
                first(&self.global, &self.global_patterns).1,
            )),
            Class::LockFile => PathClass::LockFile,
            Class::InPackage(id, role) => PathClass::Package {
                package: graph.package(id).name.clone(),
                role,
            },
            Class::Owners(packages) => PathClass::Owners {
                packages,
                globs: self
                    .owners
                    .iter()
                    .filter(|(glob, _, _)| glob.is_match(rel))
                    .map(|(_, pattern, _)| pattern.clone())
                    .collect(),
            },
            Class::Ignored(IgnoredBy::Outputs) => PathClass::Ignored(IgnoreRule::BuildOutput),
            Class::Ignored(IgnoredBy::OutsideWorkspace) => {
                PathClass::Ignored(IgnoreRule::OutsideWorkspace)
            }
            Class::Ignored(IgnoredBy::Glob) => {
                let (index, pattern) = first(&self.ignore, &self.ignore_patterns);
                PathClass::Ignored(IgnoreRule::Glob {
                    pattern,
                    configured: index >= config::DEFAULT_IGNORE.len(),
                })
            }
            Class::Ignored(IgnoredBy::OutsidePackages) => {
                let patterns: Vec<String> = config::DEFAULT_IGNORE_OUTSIDE_PACKAGES
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                let (_, pattern) = first(&self.ignore_outside_packages, &patterns);
                PathClass::Ignored(IgnoreRule::OutsidePackages(pattern))
            }
            Class::Unowned => PathClass::Unowned,
        }
    }

    pub(super) fn classify(&self, graph: &WorkspaceGraph, path: &str) -> Class {
        if self
            .outputs
            .as_deref()
            .is_some_and(|dir| crate::path::is_within(path, dir))
        {
            return Class::Ignored(IgnoredBy::Outputs);
        }
        let root = self.workspace_root.as_str();
        let Some(rel) = strip_dir(path, root) else {
            return if is_global_above(path, root) {
                Class::Global(GlobalBy::Above)
            } else {
                Class::Ignored(IgnoredBy::OutsideWorkspace)
            };
        };
        if GLOBAL_FILES.contains(&rel) {
            return Class::Global(GlobalBy::File);
        }
        if self.global.is_match(rel) {
            return Class::Global(GlobalBy::Glob);
        }
        if rel == "Cargo.lock" {
            return Class::LockFile;
        }
        let owner = graph.owner(path);
        if let Some(id) = owner.filter(|&id| !graph.is_root_package(id)) {
            return Class::InPackage(id, graph.role_of(id, path));
        }
        if self.ignore.is_match(rel) {
            return Class::Ignored(IgnoredBy::Glob);
        }
        if let Some(id) = owner {
            return Class::InPackage(id, graph.role_of(id, path));
        }
        let mapped: Vec<String> = self
            .owners
            .iter()
            .filter(|(glob, _, _)| glob.is_match(rel))
            .flat_map(|(_, _, packages)| packages.iter().cloned())
            .collect();
        if !mapped.is_empty() {
            return Class::Owners(mapped);
        }
        if self.ignore_outside_packages.is_match(rel) {
            return Class::Ignored(IgnoredBy::OutsidePackages);
        }
        Class::Unowned
    }
}

/// Whether `path`, outside the workspace root, is a toolchain or cargo configuration file in a
/// directory at or above it.
fn is_global_above(path: &str, workspace_root: &str) -> bool {
    GLOBAL_FILES_ABOVE.iter().any(|name| {
        path.strip_suffix(name).is_some_and(|dir| {
            let dir = dir.trim_end_matches('/');
            (dir.is_empty() || path.as_bytes()[dir.len()] == b'/')
                && (dir.is_empty()
                    || workspace_root == dir
                    || workspace_root.starts_with(&format!("{dir}/")))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_files_above_the_workspace() {
        assert!(is_global_above("rust-toolchain.toml", "ws"));
        assert!(is_global_above(".cargo/config.toml", "a/ws"));
        assert!(is_global_above("a/.cargo/config.toml", "a/ws"));
        assert!(!is_global_above("b/.cargo/config.toml", "a/ws"));
        assert!(!is_global_above("xrust-toolchain.toml", "ws"));
        assert!(!is_global_above("README.md", "ws"));
    }
}
