//! What each package's units read, from the dep-info rustc writes for every unit it compiles
//! (`<target>/<profile>/deps/<crate>-<hash>.d`), for `affected --tests`: test targets are built
//! by `cargo test`, never by rbee-graph, so they have no build records. A CI job that restores
//! its target directory, or a developer's tree, has these files.
//!
//! They only add: a changed file that a unit of a package read (`include_str!` of a file in
//! another package, say) counts for that package's tests. Nothing counts for fewer tests on
//! their strength: a dep-info file names no commit, so nothing tells whether it still describes
//! the base.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use rbee_graph_model::WorkspaceGraph;
use rbee_graph_model::path::{normalize, relative_to};

/// For each workspace member with dep-info in `target_dir`, every file inside the repository
/// its units read (repository-relative). `workspace_root` is where cargo ran rustc (the paths
/// of members are relative to it); `repo_root` what the result is relative to.
pub fn from_dep_info(
    target_dir: &Path,
    workspace_root: &Path,
    repo_root: &Path,
    graph: &WorkspaceGraph,
) -> BTreeMap<String, BTreeSet<String>> {
    // The root source file of every target of every member, and the crate names rustc gives
    // their units (the file name of a unit's dep-info starts with it).
    let mut roots: HashMap<String, &str> = HashMap::new();
    let mut crates: BTreeSet<String> = BTreeSet::new();
    for (_, package) in graph.members() {
        for target in &package.targets {
            if let Some(src) = &target.src_path {
                roots.insert(src.clone(), package.name.as_str());
            }
            crates.insert(target.name.replace('-', "_"));
        }
    }
    let mut reads: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for deps in deps_dirs(target_dir) {
        let Ok(entries) = std::fs::read_dir(&deps) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str().and_then(|n| n.strip_suffix(".d")) else {
                continue;
            };
            // `<crate>-<hash>`: a member's unit, or a registry crate's (not read).
            let Some((krate, _hash)) = name.rsplit_once('-') else {
                continue;
            };
            if !crates.contains(krate) {
                continue;
            }
            let Some(files) = crate::cargo::depinfo::read(&entry.path()) else {
                continue;
            };
            let in_repo: Vec<String> = files
                .iter()
                .filter_map(|file| relative_to(&normalize(&workspace_root.join(file)), repo_root))
                .collect();
            // rustc lists the crate's root first.
            let Some(package) = in_repo.first().and_then(|root| roots.get(root)) else {
                continue;
            };
            reads
                .entry((*package).to_owned())
                .or_default()
                .extend(in_repo);
        }
    }
    reads
}

/// The `deps` directories of every profile (`<target>/<profile>/deps`) and every target
/// triple (`<target>/<triple>/<profile>/deps`).
fn deps_dirs(target_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs = Vec::new();
    let Ok(entries) = std::fs::read_dir(target_dir) else {
        return dirs;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let deps = path.join("deps");
        if deps.is_dir() {
            dirs.push(deps);
            continue;
        }
        let Ok(profiles) = std::fs::read_dir(&path) else {
            continue;
        };
        for profile in profiles.flatten() {
            let deps = profile.path().join("deps");
            if deps.is_dir() {
                dirs.push(deps);
            }
        }
    }
    dirs
}
