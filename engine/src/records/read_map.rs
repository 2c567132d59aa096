//! Read maps: what each binary's last build read, for `affected --base`.
//!
//! The path rules see paths only. A build record knows every file the build read (see
//! [`crate::records::format`]); in CI mode, that list makes two answers precise: a file outside the
//! binary's packages that it read counts for it (`include_str!("../../other/data.txt")`), and a
//! file outside every package that no build read counts for none. A map describes the commit
//! it was made at, so it is trusted for a comparison only if nothing in the binary's scope (the
//! files it read, every file of the packages it is built from, every manifest and the lock file)
//! changed between that commit and the base; otherwise that binary falls back to the rules.

use rbee_graph_model::rules::TrustedReads;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use gix::ObjectId;
use rbee_graph_model::{Binary, WorkspaceGraph};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::git::repo::Repo;

/// The format of a read map file.
pub const SCHEMA: u32 = 1;

/// What one binary's build read, repository-relative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryReads {
    /// The binary name.
    pub name: String,
    /// Its package.
    pub package: String,
    /// The commit the build started from.
    pub commit: String,
    /// Paths that differed from `commit` when the build started.
    pub dirty: BTreeSet<String>,
    /// Every file inside the repository the build read.
    pub reads: BTreeSet<String>,
    /// The registry and git crates the build compiled, as `name version` (`None`: not known,
    /// from a record or file written before they were kept). A changed lock entry outside
    /// them does not count for the binary: no enabled feature turned that crate on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub externals: Option<BTreeSet<String>>,
}

/// Read maps of several binaries (several builds of one binary are merged: a file any of them
/// read counts).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMaps {
    /// [`SCHEMA`].
    pub schema: u32,
    /// One entry per binary.
    pub binaries: Vec<BinaryReads>,
}

impl ReadMaps {
    /// The maps in the build records under `state_dir` (every target and profile).
    pub fn from_records(state_dir: &Path, workdir: &Path) -> ReadMaps {
        let mut files = Vec::new();
        collect_json(&state_dir.join("records"), &mut files, 0);
        let mut by_binary: BTreeMap<Binary, BinaryReads> = BTreeMap::new();
        for file in files {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            let Ok(record) = crate::records::format::parse(&bytes) else {
                continue;
            };
            // What a build read and compiled depends on its features; `affected` answers for
            // a plain `cargo build --bin B` (the binary's required features only). A build with
            // other features says nothing about that one.
            let plain = crate::cargo::flags::CargoFlags::default()
                .request_for(&record.binary.package, &record.required_features);
            if record.feature_request != plain {
                continue;
            }
            let reads: BTreeSet<String> = record
                .inputs
                .keys()
                .filter_map(|path| crate::git::repo::repo_relative(path, workdir))
                .collect();
            let entry = BinaryReads {
                name: record.binary.name.clone(),
                package: record.binary.package.clone(),
                commit: record.commit.clone(),
                dirty: record.dirty.keys().cloned().collect(),
                reads,
                externals: record.externals.clone(),
            };
            match by_binary.entry(record.binary.clone()) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(entry);
                }
                // Two builds of one binary (profiles, targets): what either read counts. From
                // different commits, one trust check cannot cover both: the merged map is not
                // trusted (an empty commit is never found).
                std::collections::btree_map::Entry::Occupied(mut slot) => {
                    let kept = slot.get_mut();
                    kept.reads.extend(entry.reads);
                    kept.dirty.extend(entry.dirty);
                    kept.externals = match (kept.externals.take(), entry.externals) {
                        (Some(mut kept), Some(more)) => {
                            kept.extend(more);
                            Some(kept)
                        }
                        _ => None,
                    };
                    if kept.commit != entry.commit {
                        kept.commit = String::new();
                    }
                }
            }
        }
        ReadMaps {
            schema: SCHEMA,
            binaries: by_binary.into_values().collect(),
        }
    }

    /// Reads a map file written by `rbee-graph reads`.
    pub fn from_file(path: &Path) -> Result<ReadMaps> {
        let unusable = |message: String| Error::ReadMap {
            path: path.to_owned(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
        let maps: ReadMaps = serde_json::from_slice(&bytes)
            .map_err(|e| unusable(format!("it is not a read map ({e})")))?;
        if maps.schema != SCHEMA {
            return Err(unusable(format!(
                "it has format {}; this rbee-graph reads format {SCHEMA}",
                maps.schema
            )));
        }
        Ok(maps)
    }

    /// Adds `other`'s binaries that this one does not have.
    pub fn extend(&mut self, other: ReadMaps) {
        for b in other.binaries {
            if !self
                .binaries
                .iter()
                .any(|k| k.name == b.name && k.package == b.package)
            {
                self.binaries.push(b);
            }
        }
    }
}

/// Checks each map against the repository: trusted when nothing in the binary's scope changed
/// between the map's commit and `base`.
pub fn trusted(
    maps: &ReadMaps,
    repo: &Repo,
    graph: &WorkspaceGraph,
    base: ObjectId,
) -> Result<TrustedReads> {
    let mut out = TrustedReads::default();
    let mut changed_since: HashMap<String, Option<BTreeSet<String>>> = HashMap::new();
    for map in &maps.binaries {
        let binary = Binary {
            name: map.name.clone(),
            package: map.package.clone(),
        };
        if !graph.binaries().any(|(_, b)| b == binary) {
            continue;
        }
        let changed = changed_since.entry(map.commit.clone()).or_insert_with(|| {
            let commit = ObjectId::from_hex(map.commit.as_bytes()).ok()?;
            if !repo.has_commit(commit) {
                return None;
            }
            repo.changed_between(commit, base).ok()
        });
        let trusted = match changed {
            None => false,
            Some(changed) => {
                let dirs = package_dirs(graph, &binary);
                let in_scope = |path: &String| {
                    map.reads.contains(path)
                        || path == "Cargo.lock"
                        || path.ends_with("/Cargo.lock")
                        || path == "Cargo.toml"
                        || path.ends_with("/Cargo.toml")
                        || dirs
                            .iter()
                            .any(|d| d.is_empty() || rbee_graph_model::path::is_within(path, d))
                };
                !changed.iter().any(in_scope) && !map.dirty.iter().any(in_scope)
            }
        };
        if trusted {
            if let Some(externals) = &map.externals {
                out.externals.insert(binary.clone(), externals.clone());
            }
            out.trusted.insert(binary, map.reads.clone());
        } else {
            out.untrusted.insert(binary);
        }
    }
    Ok(out)
}

/// The repository-relative directories of every local package `binary` is built from.
fn package_dirs(graph: &WorkspaceGraph, binary: &Binary) -> Vec<String> {
    let Some(id) = graph.package_by_name(&binary.package) else {
        return vec![String::new()];
    };
    let mut dirs = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![id];
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        // A package outside the repository has no directory here: git sees nothing there.
        if let rbee_graph_model::Node::Package(p) = graph.node(node)
            && let Some(dir) = &p.dir
        {
            dirs.push(dir.clone());
        }
        for (dep, kind) in graph.dependencies(node) {
            if kind.reaches_binaries() {
                stack.push(dep);
            }
        }
    }
    dirs
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    // records/<triple>/<profile>/<package>/<binary>.json
    if depth > 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_json(&path, out, depth + 1);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}
