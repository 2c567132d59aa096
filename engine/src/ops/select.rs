//! Turning the binary names a user typed into binaries of the workspace.

use std::collections::{BTreeMap, BTreeSet};

use rbee_graph_model::{Binary, WorkspaceGraph};

use crate::error::{Error, Result};

/// Resolves `name` (optionally within `package`, like cargo's `-p`) to one binary.
///
/// # Errors
/// An unknown name, with the closest known one as a suggestion; a name that several packages
/// use, asking for `-p`.
pub fn binary(graph: &WorkspaceGraph, name: &str, package: Option<&str>) -> Result<Binary> {
    let all: Vec<Binary> = graph.binaries().map(|(_, b)| b).collect();
    if let Some(package) = package
        && graph
            .package_by_name(package)
            .is_none_or(|id| !graph.package(id).member)
    {
        let packages: Vec<&str> = graph.members().map(|(_, p)| p.name.as_str()).collect();
        return Err(Error::UnknownPackage {
            name: package.to_owned(),
            suggestion: closest(package, packages.iter().copied()),
        });
    }
    let matches: Vec<&Binary> = all
        .iter()
        .filter(|b| b.name == name && package.is_none_or(|p| b.package == p))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::UnknownBinary {
            name: name.to_owned(),
            suggestion: closest(
                name,
                all.iter()
                    .filter(|b| package.is_none_or(|p| b.package == p))
                    .map(|b| b.name.as_str()),
            ),
        }),
        several => Err(Error::AmbiguousBinary {
            name: name.to_owned(),
            packages: several.iter().map(|b| b.package.clone()).collect(),
        }),
    }
}

/// `root` and every binary it spawns, transitively, through the configured spawn edges.
pub fn cascade(
    graph: &WorkspaceGraph,
    spawns: &BTreeMap<String, Vec<String>>,
    root: &Binary,
) -> Vec<Binary> {
    let pairs = graph.spawn_pairs(spawns);
    let mut found = BTreeSet::from([root.clone()]);
    let mut queue = vec![root.clone()];
    while let Some(at) = queue.pop() {
        for (spawner, spawned) in &pairs {
            if *spawner == at && found.insert(spawned.clone()) {
                queue.push(spawned.clone());
            }
        }
    }
    found.into_iter().collect()
}

/// The known name closest to `wanted`, if one is close enough to be a likely typo.
fn closest<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> Option<String> {
    known
        .map(|k| (strsim::damerau_levenshtein(wanted, k), k))
        .filter(|&(distance, k)| distance <= (k.len().max(wanted.len()) / 3).max(1))
        .min()
        .map(|(_, k)| k.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_names() {
        let known = ["queen-rbee", "rbee-hive", "rbee-keeper"];
        assert_eq!(
            closest("queen-rbe", known.into_iter()).as_deref(),
            Some("queen-rbee")
        );
        assert_eq!(
            closest("rbee-hvie", known.into_iter()).as_deref(),
            Some("rbee-hive")
        );
        assert_eq!(closest("zzz", known.into_iter()), None);
    }
}
