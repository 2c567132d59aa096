//! Building a [`WorkspaceGraph`] from `cargo metadata --no-deps` and `Cargo.lock`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use petgraph::graph::DiGraph;

use crate::path::relative_to;
use crate::workspace::Node;
use crate::{
    DepKind, Error, ExternalPackage, LockKey, Lockfile, NodeId, Package, Target, TargetKind,
    WorkspaceGraph,
};

impl WorkspaceGraph {
    /// Builds the graph from the JSON printed by `cargo metadata --format-version 1 --no-deps`.
    ///
    /// `lock` is the workspace's lock file, if it has one; without it the graph has no external
    /// crates. `repo_root` is the absolute directory that paths in the metadata are made
    /// relative to: the repository's work tree, or the directory a commit was materialized in.
    pub fn from_metadata_json(
        json: &str,
        lock: Option<&Lockfile>,
        repo_root: &Path,
    ) -> Result<WorkspaceGraph, Error> {
        let metadata: cargo_metadata::Metadata =
            serde_json::from_str(json).map_err(Error::Metadata)?;
        Self::from_metadata(&metadata, lock, repo_root)
    }

    /// Builds the graph from parsed `cargo metadata` output; see [`Self::from_metadata_json`].
    pub fn from_metadata(
        metadata: &cargo_metadata::Metadata,
        lock: Option<&Lockfile>,
        repo_root: &Path,
    ) -> Result<WorkspaceGraph, Error> {
        Self::from_metadata_reading(metadata, lock, repo_root, &|_| None)
    }

    /// Like [`Self::from_metadata`], and follows path dependencies of non-member path
    /// packages: `cargo metadata --no-deps` describes members only, so a path package that only
    /// a non-member uses would otherwise be unknown (its files unowned, its lock entries
    /// unreachable). `read_manifest` returns the text of a `Cargo.toml` by absolute path; the
    /// caller decides where files come from (the disk, a commit), keeping this crate free of IO.
    pub fn from_metadata_reading(
        metadata: &cargo_metadata::Metadata,
        lock: Option<&Lockfile>,
        repo_root: &Path,
        read_manifest: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<WorkspaceGraph, Error> {
        let mut builder = Builder::default();
        let rel = |p: &Path| relative_to(p, repo_root);

        // Not `Metadata::workspace_packages`, which is quadratic in the number of packages.
        let member_ids: std::collections::HashSet<&cargo_metadata::PackageId> =
            metadata.workspace_members.iter().collect();
        let mut members: Vec<&cargo_metadata::Package> = metadata
            .packages
            .iter()
            .filter(|p| member_ids.contains(&p.id))
            .collect();
        members.sort_by(|a, b| a.name.cmp(&b.name));
        let default_members: std::collections::HashSet<&cargo_metadata::PackageId> =
            if metadata.workspace_default_members.is_available() {
                metadata.workspace_default_members.iter().collect()
            } else {
                // Cargo before 1.71 does not say: the root package, else every member.
                match metadata.root_package() {
                    Some(root) => std::iter::once(&root.id).collect(),
                    None => member_ids.clone(),
                }
            };
        for package in &members {
            let dir = package.manifest_path.parent().map(|d| d.as_std_path());
            let targets = package
                .targets
                .iter()
                .map(|t| Target {
                    name: t.name.clone(),
                    kind: TargetKind::from_cargo(&t.kind),
                    src_path: rel(t.src_path.as_std_path()),
                    required_features: t.required_features.clone(),
                })
                .collect();
            builder.add_package(Package {
                name: package.name.to_string(),
                version: package.version.to_string(),
                dir: dir.and_then(rel),
                member: true,
                default_member: default_members.contains(&package.id),
                targets,
            });
        }

        // Path dependencies: edges between members, and non-member path packages as nodes of
        // their own so that their files still have an owner.
        let mut outside: Vec<(NodeId, PathBuf)> = Vec::new();
        for package in &members {
            let from = builder.by_name[package.name.as_str()];
            for dep in &package.dependencies {
                let Some(path) = &dep.path else { continue };
                let to =
                    builder.path_package(&dep.name, path.as_std_path(), repo_root, &mut outside);
                builder.add_edge(from, to, dep.kind.into());
            }
        }
        // Their own path dependencies, from their manifests, transitively.
        while let Some((from, dir)) = outside.pop() {
            let Some(manifest) = read_manifest(&dir.join("Cargo.toml")) else {
                continue;
            };
            for (name, path, kind) in path_dependencies(&manifest) {
                let to = builder.path_package(
                    &name,
                    &crate::path::normalize(&dir.join(&path)),
                    repo_root,
                    &mut outside,
                );
                builder.add_edge(from, to, kind);
            }
        }

        if let Some(lock) = lock {
            builder.add_lock(lock, &members);
        }

        let workspace_root = rel(metadata.workspace_root.as_std_path()).unwrap_or_default();
        builder.finish(workspace_root, metadata.workspace_metadata.clone())
    }
}

/// The path dependencies a manifest declares, in any dependency table (target-specific ones
/// included): `(package name, path, kind)`.
fn path_dependencies(manifest: &str) -> Vec<(String, PathBuf, DepKind)> {
    let Ok(table) = manifest.parse::<toml::Table>() else {
        return Vec::new();
    };
    fn collect<'a>(table: &'a toml::Table, into: &mut Vec<(&'a toml::Value, DepKind)>) {
        for (key, kind) in [
            ("dependencies", DepKind::Normal),
            ("build-dependencies", DepKind::Build),
            ("build_dependencies", DepKind::Build),
            ("dev-dependencies", DepKind::Dev),
            ("dev_dependencies", DepKind::Dev),
        ] {
            if let Some(deps) = table.get(key) {
                into.push((deps, kind));
            }
        }
    }
    let mut tables = Vec::new();
    collect(&table, &mut tables);
    if let Some(targets) = table.get("target").and_then(|t| t.as_table()) {
        for target in targets.values().filter_map(|t| t.as_table()) {
            collect(target, &mut tables);
        }
    }
    let mut out = Vec::new();
    for (deps, kind) in tables {
        let Some(deps) = deps.as_table() else {
            continue;
        };
        for (key, spec) in deps {
            let Some(path) = spec.get("path").and_then(|p| p.as_str()) else {
                continue;
            };
            let name = spec.get("package").and_then(|p| p.as_str()).unwrap_or(key);
            out.push((name.to_owned(), PathBuf::from(path), kind));
        }
    }
    out
}

#[derive(Default)]
struct Builder {
    graph: DiGraph<Node, DepKind>,
    by_name: HashMap<String, NodeId>,
    by_dir: HashMap<String, NodeId>,
    externals: HashMap<LockKey, NodeId>,
}

impl Builder {
    fn add_package(&mut self, package: Package) -> NodeId {
        let name = package.name.clone();
        let dir = package.dir.clone();
        let id = NodeId(self.graph.add_node(Node::Package(package)));
        self.by_name.insert(name, id);
        if let Some(dir) = dir {
            self.by_dir.insert(dir, id);
        }
        id
    }

    /// The package at `dir` (absolute): a known one, or a new non-member path package, which
    /// is queued in `outside` so its own path dependencies are followed.
    fn path_package(
        &mut self,
        name: &str,
        dir: &Path,
        repo_root: &Path,
        outside: &mut Vec<(NodeId, PathBuf)>,
    ) -> NodeId {
        let rel = relative_to(dir, repo_root);
        if let Some(&id) = rel.as_ref().and_then(|d| self.by_dir.get(d)) {
            return id;
        }
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.add_package(Package {
            name: name.to_owned(),
            version: String::new(),
            dir: rel,
            member: false,
            default_member: false,
            targets: Vec::new(),
        });
        outside.push((id, dir.to_owned()));
        id
    }

    fn add_edge(&mut self, from: NodeId, to: NodeId, kind: DepKind) {
        let exists = self
            .graph
            .edges_connecting(from.0, to.0)
            .any(|e| *e.weight() == kind);
        if !exists && from != to {
            self.graph.add_edge(from.0, to.0, kind);
        }
    }

    /// Adds the external crates of the lock file and the edges that reach them.
    ///
    /// The lock file does not say which kind of dependency an entry is. For a member we look up
    /// the kinds it declared for that crate name; anything else in the lock file is linked
    /// into its dependent, so its edges are normal (dev-dependencies of external crates never
    /// appear in a lock file).
    fn add_lock(&mut self, lock: &Lockfile, members: &[&cargo_metadata::Package]) {
        for entry in lock.entries() {
            if let Some(source) = &entry.key.source {
                let id = NodeId(self.graph.add_node(Node::External(ExternalPackage {
                    name: entry.key.name.clone(),
                    version: entry.key.version.clone(),
                    source: source.clone(),
                })));
                self.externals.insert(entry.key.clone(), id);
            }
        }
        let declared: HashMap<&str, BTreeMap<&str, BTreeSet<DepKind>>> = members
            .iter()
            .map(|p| {
                let mut kinds: BTreeMap<&str, BTreeSet<DepKind>> = BTreeMap::new();
                for dep in &p.dependencies {
                    kinds
                        .entry(dep.name.as_str())
                        .or_default()
                        .insert(dep.kind.into());
                }
                (p.name.as_str(), kinds)
            })
            .collect();
        for entry in lock.entries() {
            let from = match &entry.key.source {
                Some(_) => self.externals[&entry.key],
                None => match self.by_name.get(&entry.key.name) {
                    Some(&id) => id,
                    // A path package the metadata did not mention (a path dependency of a
                    // non-member): nothing in this repository is known to be its.
                    None => continue,
                },
            };
            let kinds = declared
                .get(entry.key.name.as_str())
                .filter(|_| entry.key.source.is_none());
            for dep in &entry.dependencies {
                let Some(&to) = self.externals.get(dep) else {
                    // Path dependencies are already edges, from the metadata.
                    continue;
                };
                match kinds.and_then(|k| k.get(dep.name.as_str())) {
                    Some(kinds) => {
                        for &kind in kinds {
                            self.add_edge(from, to, kind);
                        }
                    }
                    None => self.add_edge(from, to, DepKind::Normal),
                }
            }
        }
    }

    fn finish(
        self,
        workspace_root: String,
        workspace_metadata: serde_json::Value,
    ) -> Result<WorkspaceGraph, Error> {
        let order = crate::order::packages_in_build_order(&self.graph)?;
        let rank = order.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        Ok(WorkspaceGraph {
            graph: self.graph,
            workspace_root,
            by_name: self.by_name,
            by_dir: self.by_dir,
            externals: self.externals,
            order,
            rank,
            workspace_metadata,
        })
    }
}
