//! Building a [`WorkspaceGraph`] from `cargo metadata --no-deps` and `Cargo.lock`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

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
        let mut builder = Builder::default();
        let rel = |p: &Path| relative_to(p, repo_root);

        let mut members: Vec<&cargo_metadata::Package> = metadata.workspace_packages();
        members.sort_by(|a, b| a.name.cmp(&b.name));
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
                targets,
            });
        }

        // Path dependencies: edges between members, and non-member path packages as nodes of
        // their own so that their files still have an owner.
        for package in &members {
            let from = builder.by_name[package.name.as_str()];
            for dep in &package.dependencies {
                let Some(path) = &dep.path else { continue };
                let dir = rel(path.as_std_path());
                let to = match dir.as_ref().and_then(|d| builder.by_dir.get(d)) {
                    Some(&to) => to,
                    None => match builder.by_name.get(dep.name.as_str()) {
                        Some(&to) => to,
                        None => builder.add_package(Package {
                            name: dep.name.clone(),
                            version: String::new(),
                            dir,
                            member: false,
                            targets: Vec::new(),
                        }),
                    },
                };
                builder.add_edge(from, to, dep.kind.into());
            }
        }

        if let Some(lock) = lock {
            builder.add_lock(lock, &members);
        }

        let workspace_root = rel(metadata.workspace_root.as_std_path()).unwrap_or_default();
        builder.finish(workspace_root, metadata.workspace_metadata.clone())
    }
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
