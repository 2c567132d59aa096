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
    let profiles = profile_dirs(target_dir);
    // What build scripts asked cargo to watch (`rerun-if-changed`, relative to the package).
    for profile in &profiles {
        build_script_reads(profile, repo_root, graph, &mut reads);
    }
    // Examples are built by `cargo test` too; their dep-info sits beside them.
    let unit_dirs = profiles
        .iter()
        .flat_map(|p| [p.join("deps"), p.join("examples")])
        .filter(|d| d.is_dir());
    for deps in unit_dirs {
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

/// The profile directories (`<target>/<profile>`, `<target>/<triple>/<profile>`): those that
/// hold a `deps` directory.
fn profile_dirs(target_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs = Vec::new();
    let Ok(entries) = std::fs::read_dir(target_dir) else {
        return dirs;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.join("deps").is_dir() {
            dirs.push(path);
            continue;
        }
        let Ok(profiles) = std::fs::read_dir(&path) else {
            continue;
        };
        for profile in profiles.flatten() {
            if profile.path().join("deps").is_dir() {
                dirs.push(profile.path());
            }
        }
    }
    dirs
}

/// The files members' build scripts asked to be rerun for (`cargo:rerun-if-changed=PATH` in
/// `<profile>/build/<package>-<hash>/output`, relative to the package's directory).
fn build_script_reads(
    profile: &Path,
    repo_root: &Path,
    graph: &WorkspaceGraph,
    reads: &mut BTreeMap<String, BTreeSet<String>>,
) {
    let Ok(entries) = std::fs::read_dir(profile.join("build")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((package, _hash)) = name.to_str().and_then(|n| n.rsplit_once('-')) else {
            continue;
        };
        let Some(id) = graph.package_by_name(package) else {
            continue;
        };
        let Some(dir) = graph.package(id).dir.clone() else {
            continue;
        };
        let Ok(output) = std::fs::read_to_string(entry.path().join("output")) else {
            continue;
        };
        let package_dir = repo_root.join(&dir);
        let files = output.lines().filter_map(|line| {
            line.strip_prefix("cargo::rerun-if-changed=")
                .or_else(|| line.strip_prefix("cargo:rerun-if-changed="))
        });
        let in_repo = files
            .filter_map(|file| relative_to(&normalize(&package_dir.join(file.trim())), repo_root));
        reads.entry(package.to_owned()).or_default().extend(in_repo);
    }
}
