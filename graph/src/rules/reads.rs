//! What binaries read, as far as a comparison may trust it: the read maps of their last
//! builds, checked by the engine against the commits between each map and the base.

use std::collections::{BTreeMap, BTreeSet};

use crate::Binary;

/// For each binary of the head with a read map: what it read, or that its map is not trusted.
#[derive(Clone, Debug, Default)]
pub struct TrustedReads {
    /// Binaries whose map describes the base, with the files they read (repository-relative).
    pub trusted: BTreeMap<Binary, BTreeSet<String>>,
    /// Binaries with a map that does not (their scope changed since it was made).
    pub untrusted: BTreeSet<Binary>,
    /// Of the trusted binaries, those whose map says which registry and git crates their
    /// build compiled, as `name version`: a changed lock entry counts for them only if it is
    /// one of those (the lock file did not change since the map was made, or the map would
    /// not be trusted, so the base compiles the same crates).
    pub externals: BTreeMap<Binary, BTreeSet<String>>,
}

impl TrustedReads {
    /// Whether `binary` has a trusted map.
    pub fn knows(&self, binary: &Binary) -> bool {
        self.trusted.contains_key(binary)
    }

    /// Whether `binary`'s build may have compiled the external crate `name version`: it did
    /// if its trusted map says so, and may have if there is no such map or it does not say.
    pub fn may_compile(&self, binary: &Binary, name: &str, version: &str) -> bool {
        self.externals
            .get(binary)
            .is_none_or(|set| set.contains(&format!("{name} {version}")))
    }

    /// The binaries whose trusted map lists `path`.
    pub fn readers<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Binary> + 'a {
        self.trusted
            .iter()
            .filter(move |(_, reads)| reads.contains(path))
            .map(|(binary, _)| binary)
    }
}
