//! Spawn edges: which binary starts which at run time. Cargo knows nothing of them; the
//! workspace's configuration names them (`spawns = { "rbee-keeper" = ["queen-rbee"] }`), and
//! they order builds (a spawner is built, and started, before what it spawns).

use std::collections::BTreeMap;

use crate::{Binary, WorkspaceGraph};

impl WorkspaceGraph {
    /// Resolves spawn edges given by binary name to this workspace's binaries, as (spawner,
    /// spawned) pairs. A name that several packages use stands for each of them; a name the
    /// workspace does not have resolves to nothing.
    pub fn spawn_pairs(&self, spawns: &BTreeMap<String, Vec<String>>) -> Vec<(Binary, Binary)> {
        let mut by_name: BTreeMap<String, Vec<Binary>> = BTreeMap::new();
        for (_, binary) in self.binaries() {
            by_name.entry(binary.name.clone()).or_default().push(binary);
        }
        let mut pairs = Vec::new();
        for (spawner, spawned) in spawns {
            for a in by_name.get(spawner).into_iter().flatten() {
                for name in spawned {
                    for b in by_name.get(name).into_iter().flatten() {
                        pairs.push((a.clone(), b.clone()));
                    }
                }
            }
        }
        pairs
    }
}
