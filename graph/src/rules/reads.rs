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
}

impl TrustedReads {
    /// Whether `binary` has a trusted map.
    pub fn knows(&self, binary: &Binary) -> bool {
        self.trusted.contains_key(binary)
    }

    /// The binaries whose trusted map lists `path`.
    pub fn readers<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Binary> + 'a {
        self.trusted
            .iter()
            .filter(move |(_, reads)| reads.contains(path))
            .map(|(binary, _)| binary)
    }
}
