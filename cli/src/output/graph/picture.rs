//! What a picture shows, whatever its format: nodes grouped by directory, one edge per pair
//! of nodes, and with `--affected` the causes. DOT and Mermaid only differ in how they write
//! it down.

use std::collections::{BTreeMap, BTreeSet};

use rbee_graph_engine::Snapshot;
use rbee_graph_model::path::strip_dir;
use rbee_graph_model::{Binary, DepKind, Node, Package, WorkspaceGraph};

use super::super::Answer;
use super::super::text;
use super::causes::Causes;

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Package,
    Binary,
    /// A change that coloured what it points at.
    Cause,
}

#[derive(Debug)]
pub struct PictureNode {
    /// Unique in the picture: `pkg:NAME`, `bin:PACKAGE:NAME` or `cause:...`.
    pub id: String,
    /// One line each.
    pub lines: Vec<String>,
    pub shape: Shape,
    /// The directory group it is drawn in (`bin/`, `libs/`...); empty for none.
    pub group: String,
    pub affected: bool,
    /// Why it is affected, or what a cause stands for; one line each, for a tooltip.
    pub why: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// From a binary to its package.
    Owns,
    /// From a dependent to its dependency, with every kind the pair has.
    Depends(BTreeSet<DepKind>),
    /// From a spawner to the binary it spawns.
    Spawns,
    /// From a cause to what it reaches first.
    Causes,
}

impl EdgeKind {
    /// The kinds worth a label: none for a plain normal dependency, the most common edge.
    pub fn label(&self) -> Option<String> {
        match self {
            EdgeKind::Depends(kinds) if kinds.iter().any(|k| *k != DepKind::Normal) => Some(
                kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            EdgeKind::Spawns => Some("spawns".to_owned()),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct PictureEdge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
}

#[derive(Debug)]
pub struct Picture {
    /// Which comparison was highlighted, with `--affected`.
    pub caption: Option<String>,
    pub nodes: Vec<PictureNode>,
    pub edges: Vec<PictureEdge>,
}

impl Picture {
    /// The nodes of each directory group, groups in order (the ungrouped ones first).
    pub fn groups(&self) -> BTreeMap<&str, Vec<&PictureNode>> {
        let mut groups: BTreeMap<&str, Vec<&PictureNode>> = BTreeMap::new();
        for node in &self.nodes {
            groups.entry(node.group.as_str()).or_default().push(node);
        }
        groups
    }

    /// Which kinds of edges the picture has, for its legend.
    pub fn edge_kinds(&self) -> EdgeKinds {
        let has = |f: &dyn Fn(&EdgeKind) -> bool| self.edges.iter().any(|e| f(&e.kind));
        EdgeKinds {
            depends: has(&|k| matches!(k, EdgeKind::Depends(_))),
            build_only: has(
                &|k| matches!(k, EdgeKind::Depends(s) if s.contains(&DepKind::Build) && !s.contains(&DepKind::Normal)),
            ),
            dev_only: has(
                &|k| matches!(k, EdgeKind::Depends(s) if s.iter().all(|d| *d == DepKind::Dev)),
            ),
            spawns: has(&|k| *k == EdgeKind::Spawns),
            causes: has(&|k| *k == EdgeKind::Causes),
        }
    }
}

/// Which kinds of edges a picture has: a legend explains only what is drawn.
#[derive(Debug)]
pub struct EdgeKinds {
    pub depends: bool,
    /// A build-dependency that is not also a normal one.
    pub build_only: bool,
    pub dev_only: bool,
    pub spawns: bool,
    pub causes: bool,
}

/// What to draw of a workspace.
pub fn picture(snapshot: &Snapshot, answer: Option<&Answer>, only_affected: bool) -> Picture {
    let graph = &snapshot.graph;
    let causes = answer.map(|a| Causes::of(graph, a)).unwrap_or_default();
    let hot_packages: BTreeSet<&str> = answer
        .iter()
        .flat_map(|a| a.packages().iter().map(String::as_str))
        .collect();
    let hot_binaries: BTreeSet<&Binary> = answer
        .iter()
        .flat_map(|a| a.binaries().into_iter().map(|(b, _)| b))
        .collect();
    // With --only-affected: the affected packages, and the package of each affected binary
    // (which the engine always colours too).
    let draw_package = |name: &str| {
        !only_affected
            || hot_packages.contains(name)
            || hot_binaries.iter().any(|b| b.package == name)
    };
    let draw_binary = |b: &Binary| !only_affected || hot_binaries.contains(b);
    let why = |id: &str| causes.why.get(id).cloned().unwrap_or_default();

    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (id, package) in graph.members() {
        if !draw_package(&package.name) {
            continue;
        }
        let group = group_of(graph, package);
        let node = package_node(&package.name);
        nodes.push(PictureNode {
            lines: vec![package.name.clone()],
            shape: Shape::Package,
            group: group.clone(),
            affected: hot_packages.contains(package.name.as_str()),
            why: why(&node),
            id: node.clone(),
        });
        for bin in package.bins() {
            let binary = Binary {
                name: bin.name.clone(),
                package: package.name.clone(),
            };
            if !draw_binary(&binary) {
                continue;
            }
            let id = bin_node(&package.name, &bin.name);
            nodes.push(PictureNode {
                lines: vec![bin.name.clone()],
                shape: Shape::Binary,
                group: group.clone(),
                affected: hot_binaries.contains(&binary),
                why: why(&id),
                id: id.clone(),
            });
            edges.push(PictureEdge {
                from: id,
                to: node.clone(),
                kind: EdgeKind::Owns,
            });
        }
        for (to, kinds) in dependency_kinds(graph, id) {
            if draw_package(&to) {
                edges.push(PictureEdge {
                    from: node.clone(),
                    to: package_node(&to),
                    kind: EdgeKind::Depends(kinds),
                });
            }
        }
    }
    for (spawner, spawned) in graph.spawn_pairs(&snapshot.config.spawns) {
        if draw_binary(&spawner) && draw_binary(&spawned) {
            edges.push(PictureEdge {
                from: bin_node(&spawner.package, &spawner.name),
                to: bin_node(&spawned.package, &spawned.name),
                kind: EdgeKind::Spawns,
            });
        }
    }
    let drawn: BTreeSet<String> = nodes.iter().map(|n| n.id.clone()).collect();
    for cause in causes.causes {
        for target in cause.reaches.iter().filter(|t| drawn.contains(*t)) {
            edges.push(PictureEdge {
                from: cause.id.clone(),
                to: target.clone(),
                kind: EdgeKind::Causes,
            });
        }
        nodes.push(PictureNode {
            id: cause.id,
            lines: cause.lines,
            shape: Shape::Cause,
            group: String::new(),
            affected: false,
            why: cause.paths,
        });
    }
    Picture {
        caption: answer.map(caption),
        nodes,
        edges,
    }
}

fn caption(answer: &Answer) -> String {
    let head = text::head(answer.head());
    match answer.base() {
        Some(base) => format!("affected: {}..{head}", base.short()),
        None if answer.is_since_build() => {
            "affected: stale since each binary's last build".to_owned()
        }
        None => format!("affected: everything (no usable base)..{head}"),
    }
}

/// The member packages `id` depends on, each with all the kinds it is depended on with:
/// a package that is both a normal and a dev-dependency is one edge, not two.
fn dependency_kinds(
    graph: &WorkspaceGraph,
    id: rbee_graph_model::PackageId,
) -> BTreeMap<String, BTreeSet<DepKind>> {
    let mut kinds: BTreeMap<String, BTreeSet<DepKind>> = BTreeMap::new();
    for (dep, kind) in graph.dependencies(id) {
        if let Node::Package(dep) = graph.node(dep)
            && dep.member
        {
            kinds.entry(dep.name.clone()).or_default().insert(kind);
        }
    }
    kinds
}

/// The directory a package is grouped in: its parent directory relative to the workspace
/// root, with a trailing `/` (`bin/99_shared_crates/`, `crates/`). The parent rather than
/// the first component, because real layouts nest their groups (rbee keeps every crate below
/// `bin/`, in `bin/25_rbee_hive_crates/`, `bin/99_shared_crates/`...). Packages directly at
/// the root, and the root package itself, are not grouped.
pub fn group_of(graph: &WorkspaceGraph, package: &Package) -> String {
    let Some(dir) = package.dir.as_deref() else {
        return String::new();
    };
    let Some(relative) = strip_dir(dir, graph.workspace_root()) else {
        return String::new();
    };
    match relative.rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/"),
        None => String::new(),
    }
}

pub fn package_node(package: &str) -> String {
    format!("pkg:{package}")
}

pub fn bin_node(package: &str, bin: &str) -> String {
    format!("bin:{package}:{bin}")
}
