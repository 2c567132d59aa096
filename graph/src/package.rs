use serde::{Deserialize, Serialize};

use crate::RepoPath;

/// A package built from source in this repository: a workspace member, or a path dependency
/// of one that is not a member itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Package {
    /// The package name (unique among the members of a workspace).
    pub name: String,
    /// The version from its manifest.
    pub version: String,
    /// The directory holding its `Cargo.toml`, relative to the repository root; `None` when it
    /// lies outside the repository (a path dependency on `../elsewhere`).
    pub dir: Option<RepoPath>,
    /// Whether it is a member of the workspace. Non-members are path dependencies whose
    /// targets `cargo metadata --no-deps` does not describe.
    pub member: bool,
    /// Whether a plain `cargo build` in the workspace root selects it: a default member
    /// (`workspace.default-members`, else the root package, else every member). A binary of a
    /// package that is not needs `-p` to be built.
    pub default_member: bool,
    /// Its targets, in the order cargo lists them.
    pub targets: Vec<Target>,
}

impl Package {
    /// The package's library target (lib, rlib, proc-macro, ...), if it has one.
    pub fn lib(&self) -> Option<&Target> {
        self.targets.iter().find(|t| t.kind == TargetKind::Lib)
    }

    /// The package's binary targets.
    pub fn bins(&self) -> impl Iterator<Item = &Target> {
        self.targets.iter().filter(|t| t.kind == TargetKind::Bin)
    }
}

/// What a target is, reduced to what matters for rebuilding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// Any library flavour: lib, rlib, dylib, cdylib, staticlib, proc-macro.
    Lib,
    /// A binary: what the engine builds and spawns.
    Bin,
    /// An integration test (`tests/`).
    Test,
    /// A benchmark (`benches/`).
    Bench,
    /// An example (`examples/`).
    Example,
    /// The build script (`build.rs`).
    BuildScript,
}

impl TargetKind {
    /// Whether a target of this kind is only compiled for tests, benches and examples.
    pub fn is_test_only(self) -> bool {
        matches!(
            self,
            TargetKind::Test | TargetKind::Bench | TargetKind::Example
        )
    }

    pub(crate) fn from_cargo(kinds: &[cargo_metadata::TargetKind]) -> TargetKind {
        use cargo_metadata::TargetKind as K;
        // Cargo lists one kind per target except for libraries, which may list several crate
        // types; any library flavour is a library to us.
        let first = kinds.first();
        match first {
            Some(K::Bin) => TargetKind::Bin,
            Some(K::Test) => TargetKind::Test,
            Some(K::Bench) => TargetKind::Bench,
            Some(K::Example) => TargetKind::Example,
            Some(K::CustomBuild) => TargetKind::BuildScript,
            // Libraries and kinds cargo may add later: treat as code the package's bins use.
            _ => TargetKind::Lib,
        }
    }
}

/// One target of a package.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Target {
    /// The target name (for bins: the binary's file name).
    pub name: String,
    /// What kind of target it is.
    pub kind: TargetKind,
    /// Its root source file, relative to the repository root (`None` outside the repository).
    pub src_path: Option<RepoPath>,
    /// Features that must be enabled for cargo to build it.
    pub required_features: Vec<String>,
}

/// A binary target together with the package that owns it. Binary names are not unique across
/// packages, so a binary is always named with its package.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Binary {
    /// The binary's name.
    pub name: String,
    /// The package it belongs to.
    pub package: String,
}

/// A crate from a registry or a git repository, as pinned in `Cargo.lock`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalPackage {
    /// The crate name.
    pub name: String,
    /// The pinned version.
    pub version: String,
    /// Where it comes from (`registry+https://...`, `git+https://...#sha`).
    pub source: String,
}
