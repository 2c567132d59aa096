//! Topological order: dependencies before dependents, ties broken by name.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use petgraph::Direction as PgDirection;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{EdgeFiltered, EdgeRef};

use crate::workspace::Node;
use crate::{Binary, DepKind, Error, NodeId, WorkspaceGraph};

/// Orders the package nodes of `graph` so that every package comes after the packages it
/// depends on through normal or build edges. Among packages whose dependencies are all placed,
/// the alphabetically first comes first, so the order is stable across runs and machines.
/// Dev edges are ignored: cargo allows a dev-dependency cycle (a test that uses a dependent).
///
/// # Errors
/// [`Error::Cycle`] names the packages of a normal/build cycle.
pub(crate) fn packages_in_build_order(
    graph: &DiGraph<Node, DepKind>,
) -> Result<Vec<NodeId>, Error> {
    let is_package = |n: NodeIndex| matches!(graph[n], Node::Package(_));
    let counts = |e: &petgraph::graph::EdgeReference<'_, DepKind>| {
        e.weight().reaches_binaries() && is_package(e.source()) && is_package(e.target())
    };
    // Kahn's algorithm on the package subgraph; `pending[n]` = dependencies not yet placed.
    let mut pending: HashMap<NodeIndex, usize> = HashMap::new();
    for n in graph.node_indices().filter(|&n| is_package(n)) {
        pending.insert(n, graph.edges(n).filter(counts).count());
    }
    let mut ready: BinaryHeap<Reverse<(&str, NodeIndex)>> = pending
        .iter()
        .filter(|&(_, &count)| count == 0)
        .map(|(&n, _)| Reverse((graph[n].name(), n)))
        .collect();
    let mut order = Vec::with_capacity(pending.len());
    while let Some(Reverse((_, n))) = ready.pop() {
        order.push(NodeId(n));
        for edge in graph
            .edges_directed(n, PgDirection::Incoming)
            .filter(counts)
        {
            let dependent = edge.source();
            let left = pending
                .get_mut(&dependent)
                .expect("every package has a count");
            *left -= 1;
            if *left == 0 {
                ready.push(Reverse((graph[dependent].name(), dependent)));
            }
        }
    }
    if order.len() < pending.len() {
        let filtered = EdgeFiltered::from_fn(graph, |e| counts(&e));
        let scc = tarjan_scc(&filtered)
            .into_iter()
            .find(|scc| scc.len() > 1)
            .unwrap_or_default();
        return Err(Error::Cycle(shortest_cycle(graph, &scc, &counts)));
    }
    Ok(order)
}

/// One concrete cycle through the alphabetically first package of a strongly connected
/// component, as names: `a -> b -> a`. The component itself may hold more packages, but a path
/// is what a person can go and fix.
fn shortest_cycle(
    graph: &DiGraph<Node, DepKind>,
    scc: &[NodeIndex],
    counts: &impl Fn(&petgraph::graph::EdgeReference<'_, DepKind>) -> bool,
) -> Vec<String> {
    let Some(&start) = scc.iter().min_by_key(|&&n| graph[n].name()) else {
        return Vec::new();
    };
    let mut came_from: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        for edge in graph.edges(at).filter(counts) {
            let next = edge.target();
            if next == start {
                let mut path = vec![graph[start].name().to_owned()];
                let mut back = at;
                while back != start {
                    path.push(graph[back].name().to_owned());
                    back = came_from[&back];
                }
                path.push(graph[start].name().to_owned());
                let end = path.len() - 1;
                path[1..end].reverse();
                return path;
            }
            if scc.contains(&next) && !came_from.contains_key(&next) {
                came_from.insert(next, at);
                queue.push_back(next);
            }
        }
    }
    scc.iter().map(|&n| graph[n].name().to_owned()).collect()
}

impl WorkspaceGraph {
    /// Every package (members and the path packages they use) in build order: each package
    /// after everything it depends on through normal or build dependencies, ties by name.
    pub fn build_order(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.order.iter().copied()
    }

    /// The position of a package in [`Self::build_order`]; `None` for external crates.
    pub fn rank(&self, id: NodeId) -> Option<usize> {
        self.rank.get(&id).copied()
    }

    /// Orders binaries for building and spawning: a spawner before what it spawns (`spawns`
    /// holds `(spawner, spawned)` pairs), otherwise by their package's build order, then name.
    /// Binaries of unknown packages sort last; spawn pairs naming binaries outside `binaries`
    /// only constrain the ones that are present.
    ///
    /// # Errors
    /// [`Error::SpawnCycle`] when the spawn pairs among `binaries` form a cycle.
    pub fn order_binaries(
        &self,
        binaries: impl IntoIterator<Item = Binary>,
        spawns: &[(Binary, Binary)],
    ) -> Result<Vec<Binary>, Error> {
        let binaries: Vec<Binary> = binaries.into_iter().collect();
        let key = |b: &Binary| {
            let rank = self
                .package_by_name(&b.package)
                .and_then(|id| self.rank(id));
            (
                rank.unwrap_or(usize::MAX),
                b.name.clone(),
                b.package.clone(),
            )
        };
        let index: HashMap<&Binary, usize> =
            binaries.iter().enumerate().map(|(i, b)| (b, i)).collect();
        let mut pending = vec![0usize; binaries.len()];
        let mut spawned_by: Vec<Vec<usize>> = vec![Vec::new(); binaries.len()];
        for (spawner, spawned) in spawns {
            if let (Some(&a), Some(&b)) = (index.get(spawner), index.get(spawned))
                && a != b
            {
                pending[b] += 1;
                spawned_by[a].push(b);
            }
        }
        let mut ready: BinaryHeap<Reverse<(_, usize)>> = (0..binaries.len())
            .filter(|&i| pending[i] == 0)
            .map(|i| Reverse((key(&binaries[i]), i)))
            .collect();
        let mut out = Vec::with_capacity(binaries.len());
        while let Some(Reverse((_, i))) = ready.pop() {
            out.push(binaries[i].clone());
            for &j in &spawned_by[i] {
                pending[j] -= 1;
                if pending[j] == 0 {
                    ready.push(Reverse((key(&binaries[j]), j)));
                }
            }
        }
        if out.len() < binaries.len() {
            let mut cycle: Vec<String> = (0..binaries.len())
                .filter(|&i| pending[i] > 0)
                .map(|i| binaries[i].name.clone())
                .collect();
            cycle.sort();
            return Err(Error::SpawnCycle(cycle));
        }
        Ok(out)
    }
}
