//! The causes of an affected picture: the changes that coloured its nodes, read from the
//! reasons the engine gave each affected binary.
//!
//! A cause is one changed package (with its changed paths), one changed `Cargo.lock` entry,
//! one changed path outside every package (global, unowned, read by a build), or one build
//! record's verdict. Each cause points at the nodes it reaches first; the dependency edges
//! carry it from there, and every affected node lists the causes that reach it.

use std::collections::{BTreeMap, BTreeSet};

use rbee_graph_model::path::is_within;
use rbee_graph_model::rules::{Reason, ReasonKind};
use rbee_graph_model::{DepKind, WorkspaceGraph};

use super::super::Answer;
use super::super::reasons::{self, Cause as Why};
use super::picture::{bin_node, package_node};

/// How many changed paths a cause's label lists before `+N more`.
const PATHS_SHOWN: usize = 3;

/// What a cause is; causes are kept and drawn in this order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// Files of this package changed.
    Package(String),
    /// This lock file changed: in this external crate's entry, or as a whole.
    Lock { path: String, krate: Option<String> },
    /// A path outside every package changed (global, unowned, or read by a build).
    Path(String),
    /// A build record (or a base that cannot be compared with) says so.
    Note(String),
}

/// One change, as drawn.
#[derive(Debug)]
pub struct Cause {
    /// The DOT node id, `cause:...`.
    pub id: String,
    /// The label, one line each.
    pub lines: Vec<String>,
    /// Every changed path it stands for (its tooltip).
    pub paths: Vec<String>,
    /// The node ids it points at: what it reaches first.
    pub reaches: BTreeSet<String>,
}

/// Every cause of a report, and which causes colour each affected node.
#[derive(Debug, Default)]
pub struct Causes {
    pub causes: Vec<Cause>,
    /// For each affected node id, why it is affected, one line each (its tooltip).
    pub why: BTreeMap<String, Vec<String>>,
}

/// A cause being collected.
#[derive(Default)]
struct Draft {
    reason_paths: BTreeSet<String>,
    reaches: BTreeSet<String>,
    /// A global or unowned path: the engine colours every member package for it.
    everything: bool,
    kind: Option<ReasonKind>,
}

impl Causes {
    pub fn of(graph: &WorkspaceGraph, answer: &Answer) -> Causes {
        let affected: BTreeSet<&str> = answer.packages().iter().map(String::as_str).collect();
        let mut drafts: BTreeMap<Key, Draft> = BTreeMap::new();
        // Package name -> the causes that colour it.
        let mut colours: BTreeMap<String, BTreeSet<Key>> = BTreeMap::new();
        let mut why: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (binary, reasons) in answer.binaries() {
            let package = &binary.package;
            let node = bin_node(package, &binary.name);
            for reason in reasons {
                let (key, target) = key_and_target(reason, package, &node);
                let draft = drafts.entry(key.clone()).or_default();
                draft.reaches.insert(target);
                draft.everything |= reason.reaches_everything();
                let chain: &[String] = match reason {
                    Why::Rule(rule) => {
                        draft.reason_paths.extend(rule.path().map(str::to_owned));
                        draft.kind = Some(rule.kind());
                        rule.chain()
                    }
                    Why::Record(_) => &[],
                };
                for name in chain.iter().chain([package]) {
                    colours.entry(name.clone()).or_default().insert(key.clone());
                }
                why.entry(node.clone())
                    .or_default()
                    .push(reasons::describe(reason));
            }
        }

        let owned = changed_paths_by_package(graph, answer.changed_paths());
        // A changed package no affected binary depends on has no reason, yet the engine
        // colours it and its dependents: it is a cause of its own.
        for (name, _) in owned.iter() {
            if affected.contains(name.as_str()) && !colours.contains_key(name) {
                let key = Key::Package(name.clone());
                let draft = drafts.entry(key.clone()).or_default();
                draft.reaches.insert(package_node(name));
                draft.kind = Some(ReasonKind::Path);
            }
        }
        // A package cause colours everything that depends on the package, binary or not.
        for key in drafts.keys() {
            let Key::Package(name) = key else { continue };
            let Some(id) = graph.package_by_name(name) else {
                continue;
            };
            for dependent in graph.dependents(id, DepKind::reaches_binaries).iter() {
                let dependent = graph.name(dependent);
                if affected.contains(dependent) {
                    colours
                        .entry(dependent.to_owned())
                        .or_default()
                        .insert(key.clone());
                }
            }
        }
        for (key, draft) in &drafts {
            if draft.everything {
                for name in &affected {
                    colours
                        .entry((*name).to_owned())
                        .or_default()
                        .insert(key.clone());
                }
            }
        }

        let causes: Vec<Cause> = drafts
            .into_iter()
            .map(|(key, draft)| cause(key, draft, &owned))
            .collect();
        let summary: BTreeMap<&str, String> = causes
            .iter()
            .map(|c| (c.id.as_str(), c.lines.join(" ")))
            .collect();
        for (name, keys) in colours {
            if !affected.contains(name.as_str()) {
                continue;
            }
            let lines = keys
                .iter()
                .map(|k| format!("affected by {}", summary[cause_id(k).as_str()]))
                .collect();
            why.insert(package_node(&name), lines);
        }
        Causes { causes, why }
    }
}

/// The cause a reason names, and the node it reaches first.
fn key_and_target(reason: Why<'_>, package: &str, binary_node: &str) -> (Key, String) {
    let Why::Rule(rule) = reason else {
        return (Key::Note(reasons::describe(reason)), binary_node.to_owned());
    };
    match rule {
        Reason::Path {
            package: changed, ..
        }
        | Reason::Dependency {
            package: changed, ..
        } => (Key::Package(changed.clone()), package_node(changed)),
        // The chain starts at the external crate; its second link is the first member
        // package that depends on it.
        Reason::Lockfile { path, krate, chain } => {
            let first = chain.get(1).map_or(package, String::as_str);
            let key = Key::Lock {
                path: path.clone(),
                krate: krate.clone(),
            };
            (key, package_node(first))
        }
        Reason::Global { path } | Reason::Unowned { path } | Reason::Read { path } => {
            (Key::Path(path.clone()), binary_node.to_owned())
        }
        Reason::UnknownBase { .. } => {
            (Key::Note(reasons::describe(reason)), binary_node.to_owned())
        }
    }
}

fn cause_id(key: &Key) -> String {
    match key {
        Key::Package(name) => format!("cause:package:{name}"),
        Key::Lock { path, krate } => {
            format!("cause:lock:{path}:{}", krate.as_deref().unwrap_or(""))
        }
        Key::Path(path) => format!("cause:path:{path}"),
        Key::Note(text) => format!("cause:note:{text}"),
    }
}

fn cause(key: Key, draft: Draft, owned: &BTreeMap<String, Vec<String>>) -> Cause {
    let id = cause_id(&key);
    let (lines, paths) = match key {
        Key::Package(name) => {
            let paths = owned
                .get(&name)
                .cloned()
                .unwrap_or_else(|| draft.reason_paths.iter().cloned().collect());
            (path_lines(&paths), paths)
        }
        Key::Lock { path, krate } => {
            let line = match krate {
                Some(krate) => format!("{path}: {krate}"),
                None => path.clone(),
            };
            (vec![line], vec![path])
        }
        Key::Path(path) => {
            let what = match draft.kind {
                Some(ReasonKind::Global) => "read by every build",
                Some(ReasonKind::Read) => "read by its last build",
                _ => "outside every package",
            };
            (vec![path.clone(), format!("({what})")], vec![path])
        }
        Key::Note(text) => (vec![text], Vec::new()),
    };
    Cause {
        id,
        lines,
        paths,
        reaches: draft.reaches,
    }
}

/// The first few paths, then how many more.
fn path_lines(paths: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = paths.iter().take(PATHS_SHOWN).cloned().collect();
    if paths.len() > PATHS_SHOWN {
        lines.push(format!("+{} more", paths.len() - PATHS_SHOWN));
    }
    lines
}

/// The changed paths inside each member package (the innermost one, as cargo nests them).
fn changed_paths_by_package(
    graph: &WorkspaceGraph,
    changed: &[String],
) -> BTreeMap<String, Vec<String>> {
    let dirs: Vec<(&str, &str)> = graph
        .members()
        .filter_map(|(_, p)| Some((p.dir.as_deref()?, p.name.as_str())))
        .collect();
    let mut owned: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in changed {
        let innermost = dirs
            .iter()
            .filter(|(dir, _)| is_within(path, dir))
            .max_by_key(|(dir, _)| dir.len());
        if let Some((_, name)) = innermost {
            owned
                .entry((*name).to_owned())
                .or_default()
                .push(path.clone());
        }
    }
    owned
}
