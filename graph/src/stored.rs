//! The graph as a cache stores it: the nodes and edges, with the indexes rebuilt on load.
//!
//! Loading a large workspace's graph from its stored form is several times cheaper than
//! parsing cargo's metadata and building it again (the engine keeps one beside its metadata
//! cache). Only what cannot be derived is stored; the name, directory and lock-key indexes and
//! the build order are rebuilt exactly as the builder makes them, so a loaded graph answers
//! every question as the built one did.

use std::collections::HashMap;

use petgraph::graph::DiGraph;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::workspace::{Node, NodeId, WorkspaceGraph};
use crate::{DepKind, LockKey, RepoPath};

#[derive(Serialize)]
struct StoredRef<'a> {
    graph: &'a DiGraph<Node, DepKind>,
    workspace_root: &'a str,
    workspace_metadata: &'a serde_json::Value,
}

#[derive(Deserialize)]
struct Stored {
    graph: DiGraph<Node, DepKind>,
    workspace_root: RepoPath,
    workspace_metadata: serde_json::Value,
}

impl Serialize for WorkspaceGraph {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredRef {
            graph: &self.graph,
            workspace_root: &self.workspace_root,
            workspace_metadata: &self.workspace_metadata,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for WorkspaceGraph {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = Stored::deserialize(deserializer)?;
        let mut by_name = HashMap::new();
        let mut by_dir = HashMap::new();
        let mut externals = HashMap::new();
        // In node order, as the builder inserted them: where two packages share a name or a
        // directory, the later one wins here as it did there.
        for index in stored.graph.node_indices() {
            let id = NodeId(index);
            match &stored.graph[index] {
                Node::Package(package) => {
                    by_name.insert(package.name.clone(), id);
                    if let Some(dir) = &package.dir {
                        by_dir.insert(dir.clone(), id);
                    }
                }
                Node::External(external) => {
                    let key = LockKey {
                        name: external.name.clone(),
                        version: external.version.clone(),
                        source: Some(external.source.clone()),
                    };
                    externals.insert(key, id);
                }
            }
        }
        let order = crate::order::packages_in_build_order(&stored.graph)
            .map_err(serde::de::Error::custom)?;
        let rank = order.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        Ok(WorkspaceGraph {
            graph: stored.graph,
            workspace_root: stored.workspace_root,
            by_name,
            by_dir,
            externals,
            order,
            rank,
            workspace_metadata: stored.workspace_metadata,
        })
    }
}
