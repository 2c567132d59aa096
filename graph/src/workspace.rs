//! The graph itself and its simple accessors.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::{Binary, DepKind, ExternalPackage, LockKey, Package, RepoPath};

/// A node of the graph: a package built from this repository, or an external crate.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Node {
    /// A workspace member or a path dependency of one.
    Package(Package),
    /// A registry or git crate pinned in `Cargo.lock`.
    External(ExternalPackage),
}

impl Node {
    /// The package or crate name.
    pub fn name(&self) -> &str {
        match self {
            Node::Package(p) => &p.name,
            Node::External(e) => &e.name,
        }
    }
}

/// A node of a [`WorkspaceGraph`]. Only meaningful for the graph that handed it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) NodeIndex);

/// Kept for readability at call sites that only ever see package nodes.
pub type PackageId = NodeId;

/// The model of one workspace at one point in time.
///
/// Edges point from a dependent to its dependency. The graph is built once and only read
/// afterwards; construction fails if packages depend on each other in a cycle through normal
/// or build dependencies (dev-dependency cycles are legal in cargo and allowed here).
#[derive(Clone, Debug)]
pub struct WorkspaceGraph {
    pub(crate) graph: DiGraph<Node, DepKind>,
    pub(crate) workspace_root: RepoPath,
    pub(crate) by_name: HashMap<String, NodeId>,
    pub(crate) by_dir: HashMap<RepoPath, NodeId>,
    pub(crate) externals: HashMap<LockKey, NodeId>,
    pub(crate) order: Vec<NodeId>,
    pub(crate) rank: HashMap<NodeId, usize>,
    pub(crate) workspace_metadata: serde_json::Value,
}

impl WorkspaceGraph {
    /// The workspace root, relative to the repository root (empty when they are the same).
    pub fn workspace_root(&self) -> &str {
        &self.workspace_root
    }

    /// `[workspace.metadata]` of the root manifest, as cargo reported it (`null` when absent).
    pub fn workspace_metadata(&self) -> &serde_json::Value {
        &self.workspace_metadata
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[id.0]
    }

    /// The package with this id.
    ///
    /// # Panics
    /// If `id` is an external crate: only pass ids that came from package queries.
    pub fn package(&self, id: PackageId) -> &Package {
        match &self.graph[id.0] {
            Node::Package(p) => p,
            Node::External(e) => panic!("`{}` is an external crate, not a package", e.name),
        }
    }

    /// The name of any node.
    pub fn name(&self, id: NodeId) -> &str {
        self.graph[id.0].name()
    }

    /// The package with this name.
    pub fn package_by_name(&self, name: &str) -> Option<PackageId> {
        self.by_name.get(name).copied()
    }

    /// The external crate with this lock key, if the lock file has it.
    pub fn external(&self, key: &LockKey) -> Option<NodeId> {
        self.externals.get(key).copied()
    }

    /// Every external crate called `name` (one per locked version), in a stable order.
    pub fn externals_named(&self, name: &str) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = self
            .externals
            .iter()
            .filter(|(k, _)| k.name == name)
            .map(|(_, &id)| id)
            .collect();
        ids.sort();
        ids
    }

    /// Every package (members first in build order, then nothing else: non-member path
    /// packages are part of the build order too).
    pub fn packages(&self) -> impl Iterator<Item = (PackageId, &Package)> {
        self.order.iter().map(|&id| (id, self.package(id)))
    }

    /// Every workspace member, in build order.
    pub fn members(&self) -> impl Iterator<Item = (PackageId, &Package)> {
        self.packages().filter(|(_, p)| p.member)
    }

    /// Every binary of every member, in build order (by package, then by name).
    pub fn binaries(&self) -> impl Iterator<Item = (PackageId, Binary)> + '_ {
        self.members().flat_map(|(id, p)| {
            let mut names: Vec<&str> = p.bins().map(|t| t.name.as_str()).collect();
            names.sort_unstable();
            names.into_iter().map(move |name| {
                (
                    id,
                    Binary {
                        name: name.to_owned(),
                        package: p.name.clone(),
                    },
                )
            })
        })
    }

    /// What `id` depends on directly, with the kind of each edge.
    pub fn dependencies(&self, id: NodeId) -> impl Iterator<Item = (NodeId, DepKind)> + '_ {
        self.graph
            .edges(id.0)
            .map(|e| (NodeId(e.target()), *e.weight()))
    }

    /// Whether `id` is the package whose manifest is the workspace root manifest.
    pub fn is_root_package(&self, id: PackageId) -> bool {
        self.package(id).dir.as_deref() == Some(self.workspace_root.as_str())
    }
}
