//! Reverse closure: who is affected when a package or crate changes.

use std::collections::{HashMap, VecDeque};

use petgraph::Direction as PgDirection;
use petgraph::visit::EdgeRef;

use crate::{DepKind, NodeId, WorkspaceGraph};

/// The nodes that depend on one seed node, each with the shortest chain of dependencies from
/// the seed to it. The seed itself is included, with a chain of one.
#[derive(Clone, Debug)]
pub struct Dependents {
    seed: NodeId,
    /// For every reached node but the seed, the node one step closer to the seed.
    toward_seed: HashMap<NodeId, NodeId>,
}

impl Dependents {
    /// Whether `id` depends on the seed (or is the seed).
    pub fn contains(&self, id: NodeId) -> bool {
        id == self.seed || self.toward_seed.contains_key(&id)
    }

    /// Every reached node, the seed included, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::once(self.seed).chain(self.toward_seed.keys().copied())
    }

    /// The chain from the seed to `id` (seed first, `id` last); `None` if `id` was not reached.
    pub fn chain(&self, id: NodeId) -> Option<Vec<NodeId>> {
        if !self.contains(id) {
            return None;
        }
        let mut chain = vec![id];
        let mut at = id;
        while let Some(&next) = self.toward_seed.get(&at) {
            chain.push(next);
            at = next;
        }
        chain.reverse();
        Some(chain)
    }
}

impl WorkspaceGraph {
    /// Everything that reaches `seed` through edges whose kind `follow` accepts, breadth first,
    /// so every chain is a shortest one.
    ///
    /// For "which binaries does this change reach" pass [`DepKind::reaches_binaries`]. Dev
    /// edges must never be followed transitively: a dev-dependency is seen by the dependent's
    /// tests only, not by whatever depends on the dependent.
    pub fn dependents(&self, seed: NodeId, follow: impl Fn(DepKind) -> bool) -> Dependents {
        let mut toward_seed = HashMap::new();
        let mut queue = VecDeque::from([seed]);
        while let Some(at) = queue.pop_front() {
            for edge in self.graph.edges_directed(at.0, PgDirection::Incoming) {
                let dependent = NodeId(edge.source());
                if follow(*edge.weight())
                    && dependent != seed
                    && !toward_seed.contains_key(&dependent)
                {
                    toward_seed.insert(dependent, at);
                    queue.push_back(dependent);
                }
            }
        }
        Dependents { seed, toward_seed }
    }

    /// The packages with a dev edge to `id` (who must run their tests when `id` changes).
    pub fn dev_dependents(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.graph
            .edges_directed(id.0, PgDirection::Incoming)
            .filter(|e| *e.weight() == DepKind::Dev)
            .map(|e| NodeId(e.source()))
    }
}

impl WorkspaceGraph {
    /// Everything `from` depends on, directly or not, through edges `follow` accepts; `from`
    /// itself first, the rest in breadth-first order.
    pub fn reachable(&self, from: NodeId, follow: impl Fn(DepKind) -> bool) -> Vec<NodeId> {
        let mut seen = std::collections::HashSet::from([from]);
        let mut order = vec![from];
        let mut next = 0;
        while next < order.len() {
            let at = order[next];
            next += 1;
            for edge in self.graph.edges(at.0) {
                let dependency = NodeId(edge.target());
                if follow(*edge.weight()) && seen.insert(dependency) {
                    order.push(dependency);
                }
            }
        }
        order
    }
}
