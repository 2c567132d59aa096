use serde::{Deserialize, Serialize};

/// How a package depends on another one, as declared in its manifest.
///
/// A dependency declared under several tables (say both `[dependencies]` and
/// `[dev-dependencies]`) is one edge per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    /// `[dependencies]`: linked into the package's lib and bins.
    Normal,
    /// `[build-dependencies]`: linked into the build script, so it shapes the build too.
    Build,
    /// `[dev-dependencies]`: only tests, benches and examples see it.
    Dev,
}

impl DepKind {
    /// Whether a change behind an edge of this kind can change the package's binaries.
    pub fn reaches_binaries(self) -> bool {
        matches!(self, DepKind::Normal | DepKind::Build)
    }

    /// The manifest word for this kind, as used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Normal => "normal",
            DepKind::Build => "build",
            DepKind::Dev => "dev",
        }
    }
}

impl From<cargo_metadata::DependencyKind> for DepKind {
    fn from(kind: cargo_metadata::DependencyKind) -> Self {
        match kind {
            cargo_metadata::DependencyKind::Development => DepKind::Dev,
            cargo_metadata::DependencyKind::Build => DepKind::Build,
            // `Normal` and anything cargo adds later: the safe side is "it reaches the binary".
            _ => DepKind::Normal,
        }
    }
}
