//! `graph --format dot|mermaid|svg [--affected|--only-affected --base REV]` and `completions`,
//! on the `rbee` and `dep-kinds` fixtures: every package and spawn edge is drawn, one edge per
//! pair of packages with all its kinds and no `normal` label, packages clustered by directory,
//! exactly the affected nodes highlighted, and with `--only-affected` exactly the affected part
//! and the changes that caused it.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::process::Command;

use rbee_graph_testdata::{Repo, tempfile};
use serde_json::Value;

use crate::util::*;

/// The fill of affected nodes.
const AFFECTED_FILL: &str = "#fbbc04";
const NARRATION: &str = "libs/narration-core/src/lib.rs";

/// The spawn edges of the fixture's configuration.
fn rbee_spawns() -> BTreeSet<(String, String)> {
    [
        ("rbee-keeper", "queen-rbee"),
        ("queen-rbee", "rbee-hive"),
        ("rbee-hive", "llm-worker-rbee"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect()
}

/// The DOT node ids `affected --base ARGS` says should be highlighted: `pkg:NAME` for each
/// affected member package, `bin:PACKAGE:NAME` for each affected binary.
fn expected_highlight(v: &Value) -> BTreeSet<String> {
    let mut nodes: BTreeSet<String> = member_set(v, RBEE_MEMBERS)
        .into_iter()
        .map(|p| format!("pkg:{p}"))
        .collect();
    nodes.extend(bins(v).into_iter().map(|(b, p)| format!("bin:{p}:{b}")));
    nodes
}

/// The node ids of a DOT graph, with whether each is filled with the affected colour.
fn dot_nodes(dot: &str) -> BTreeMap<String, bool> {
    Dot::parse(dot)
        .nodes
        .into_iter()
        .map(|(id, attributes)| {
            let hot = attribute(&attributes, "fillcolor").as_deref() == Some(AFFECTED_FILL);
            (id, hot)
        })
        .collect()
}

fn highlighted(nodes: &BTreeMap<String, bool>) -> BTreeSet<String> {
    nodes
        .iter()
        .filter(|(_, hot)| **hot)
        .map(|(id, _)| id.clone())
        .collect()
}

/// A Mermaid flowchart read back: node labels by id, links in order, class assignments,
/// subgraphs.
struct Mermaid {
    labels: BTreeMap<String, String>,
    /// `(from, arrow, label, to)`, in the order written.
    links: Vec<(String, String, String, String)>,
    /// Link indices given a style, with the style.
    styled_links: BTreeMap<usize, String>,
    /// Node ids by class.
    classes: BTreeMap<String, BTreeSet<String>>,
    /// Subgraph label -> the ids of the nodes declared in it.
    subgraphs: BTreeMap<String, BTreeSet<String>>,
}

const MERMAID_ARROWS: &[&str] = &["---", "-->", "-.->", "==>"];

impl Mermaid {
    fn parse(text: &str) -> Mermaid {
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("flowchart LR"), "{text}");
        let mut m = Mermaid {
            labels: BTreeMap::new(),
            links: Vec::new(),
            styled_links: BTreeMap::new(),
            classes: BTreeMap::new(),
            subgraphs: BTreeMap::new(),
        };
        let mut subgraph: Option<String> = None;
        for line in lines.map(str::trim) {
            let words: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with("%%") || line.starts_with("classDef ") {
                continue;
            } else if let Some(rest) = line.strip_prefix("subgraph ") {
                assert!(subgraph.is_none(), "nested subgraph: {line}");
                let label = rest.split('"').nth(1).expect("a quoted subgraph label");
                subgraph = Some(label.to_owned());
                m.subgraphs.entry(label.to_owned()).or_default();
            } else if line == "end" {
                assert!(subgraph.take().is_some(), "`end` outside a subgraph");
            } else if let Some(rest) = line.strip_prefix("linkStyle ") {
                let (indices, style) = rest.split_once(' ').expect("linkStyle INDICES STYLE");
                for i in indices.split(',') {
                    m.styled_links
                        .insert(i.parse::<usize>().expect("index"), style.to_owned());
                }
            } else if let Some(rest) = line.strip_prefix("class ") {
                let (ids, class) = rest.split_once(' ').expect("class IDS NAME");
                m.classes
                    .entry(class.to_owned())
                    .or_default()
                    .extend(ids.split(',').map(str::to_owned));
            } else if words.len() >= 3
                && MERMAID_ARROWS.contains(&words[1].split('|').next().unwrap_or(""))
            {
                // `a --- b`, `a --> b`, `a -->|normal, dev| b`: the label may hold spaces.
                let (from, rest) = line.split_once(' ').expect("a link");
                let (arrow_label, to) = rest.rsplit_once(' ').expect("a link");
                let (arrow, label) = match arrow_label.split_once('|') {
                    Some((arrow, label)) => (arrow, label.trim_end_matches('|')),
                    None => (arrow_label, ""),
                };
                m.links.push((
                    from.to_owned(),
                    arrow.to_owned(),
                    label.to_owned(),
                    to.to_owned(),
                ));
            } else {
                let (id, rest) = line
                    .split_once(['[', '(', '>'])
                    .unwrap_or_else(|| panic!("not a node: {line}"));
                let label = rest.split('"').nth(1).expect("a quoted label");
                m.labels.insert(id.to_owned(), label.to_owned());
                if let Some(group) = &subgraph {
                    m.subgraphs
                        .get_mut(group)
                        .expect("the open subgraph")
                        .insert(id.to_owned());
                }
            }
        }
        assert!(subgraph.is_none(), "unclosed subgraph:\n{text}");
        m
    }

    fn label(&self, id: &str) -> &str {
        self.labels
            .get(id)
            .unwrap_or_else(|| panic!("link to an undeclared node {id}"))
    }

    /// Dependency links between packages as `(dependent, dependency) -> (arrow, label)`,
    /// asserting there is at most one per pair.
    fn dependencies(&self) -> BTreeMap<(String, String), (String, String)> {
        let mut deps = BTreeMap::new();
        for (from, arrow, label, to) in &self.links {
            if from.starts_with('p') && to.starts_with('p') {
                let pair = (self.label(from).to_owned(), self.label(to).to_owned());
                let old = deps.insert(pair.clone(), (arrow.clone(), label.clone()));
                assert!(old.is_none(), "two links for {pair:?}");
            }
        }
        deps
    }

    /// The labels of the nodes of each subgraph.
    fn subgraph_labels(&self) -> BTreeMap<String, BTreeSet<String>> {
        self.subgraphs
            .iter()
            .map(|(g, ids)| {
                (
                    g.clone(),
                    ids.iter().map(|id| self.label(id).to_owned()).collect(),
                )
            })
            .collect()
    }
}

/// A DOT graph as `rbee-graph` writes it, read back line by line.
#[derive(Debug)]
struct Dot {
    /// Node id -> its attributes (the text between the brackets).
    nodes: BTreeMap<String, String>,
    /// `(from, to, attributes)`, in the order written.
    edges: Vec<(String, String, String)>,
    /// Cluster name (`cluster_...`) -> its label and the ids of the nodes declared in it.
    clusters: BTreeMap<String, (String, BTreeSet<String>)>,
}

impl Dot {
    fn parse(text: &str) -> Dot {
        let mut dot = Dot {
            nodes: BTreeMap::new(),
            edges: Vec::new(),
            clusters: BTreeMap::new(),
        };
        let mut cluster: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("subgraph ") {
                assert!(cluster.is_none(), "nested cluster: {line}");
                let name = rest.split('"').nth(1).expect("a quoted cluster name");
                cluster = Some(name.to_owned());
                dot.clusters
                    .insert(name.to_owned(), (String::new(), BTreeSet::new()));
            } else if line == "}" {
                cluster = None;
            } else if let (Some(name), Some(label)) = (&cluster, line.strip_prefix("label=")) {
                dot.clusters.get_mut(name).expect("open cluster").0 =
                    label.trim_end_matches(';').trim_matches('"').to_owned();
            } else if line.starts_with('"') {
                let (head, attributes) = line.split_once(" [").expect("attributes");
                let attributes = attributes.trim_end_matches("];").to_owned();
                let ids: Vec<&str> = head.split('"').filter(|s| !s.is_empty()).collect();
                match ids.as_slice() {
                    [id] => {
                        dot.nodes.insert((*id).to_owned(), attributes);
                        if let Some(name) = &cluster {
                            dot.clusters
                                .get_mut(name)
                                .expect("open cluster")
                                .1
                                .insert((*id).to_owned());
                        }
                    }
                    [from, " -> ", to] => {
                        dot.edges
                            .push(((*from).to_owned(), (*to).to_owned(), attributes));
                    }
                    _ => panic!("neither a node nor an edge: {line}"),
                }
            }
        }
        dot
    }

    /// Edges between packages as `(dependent, dependency) -> attributes`, asserting there is
    /// at most one per pair.
    fn dependencies(&self) -> BTreeMap<(String, String), String> {
        let mut deps = BTreeMap::new();
        for (from, to, attributes) in &self.edges {
            if let (Some(from), Some(to)) = (from.strip_prefix("pkg:"), to.strip_prefix("pkg:")) {
                let pair = (from.to_owned(), to.to_owned());
                let old = deps.insert(pair.clone(), attributes.clone());
                assert!(old.is_none(), "two edges for {pair:?}");
            }
        }
        deps
    }

    /// Every `(from, to)` edge.
    fn edge_set(&self) -> BTreeSet<(String, String)> {
        self.edges
            .iter()
            .map(|(a, b, _)| (a.clone(), b.clone()))
            .collect()
    }
}

/// The value of `key="..."` in DOT attributes (`a=b, key="v", ...`).
fn attribute(attributes: &str, key: &str) -> Option<String> {
    let prefix = format!("{key}=\"");
    let start = if attributes.starts_with(&prefix) {
        prefix.len()
    } else {
        attributes.find(&format!(", {prefix}"))? + prefix.len() + 2
    };
    let mut value = String::new();
    let mut chars = attributes[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next().expect("an escaped character") {
                'n' => value.push('\n'),
                c => value.push(c),
            },
            '"' => return Some(value),
            c => value.push(c),
        }
    }
    panic!("unterminated {key} in {attributes}");
}

#[test]
fn mermaid_has_every_package_binary_and_spawn_edge() {
    let repo = Repo::from_fixture("rbee");
    let out = run(&repo, &["graph", "--format", "mermaid"])
        .success()
        .to_owned();
    let m = Mermaid::parse(&out);
    let labels: BTreeSet<&str> = m.labels.values().map(String::as_str).collect();
    for package in RBEE_MEMBERS {
        assert!(labels.contains(package), "no node for {package}:\n{out}");
    }
    for (bin, _) in RBEE_BINS {
        assert!(labels.contains(bin), "no node for {bin}:\n{out}");
    }

    let spawns: BTreeSet<(String, String)> = m
        .links
        .iter()
        .filter(|(_, _, label, _)| label == "spawns")
        .map(|(a, _, _, b)| (m.label(a).to_owned(), m.label(b).to_owned()))
        .collect();
    assert_eq!(spawns, rbee_spawns(), "{out}");

    // Spawn links are drawn thick and styled; dependency links are neither.
    for (i, (_, arrow, label, _)) in m.links.iter().enumerate() {
        let spawn = label == "spawns";
        assert_eq!(arrow == "==>", spawn, "link {i}:\n{out}");
        assert_eq!(m.styled_links.contains_key(&i), spawn, "link {i}:\n{out}");
        assert_ne!(label, "normal", "normal links are not labelled:\n{out}");
    }
    // Every normal and build edge between members is there, once.
    let deps = m.dependencies();
    for (dependency, dependent) in RBEE_EDGES {
        if RBEE_MEMBERS.contains(dependency) {
            assert!(
                deps.contains_key(&((*dependent).to_owned(), (*dependency).to_owned())),
                "no edge {dependent} -> {dependency}:\n{out}"
            );
        }
    }
    assert!(
        !m.classes.contains_key("affected"),
        "nothing is highlighted without --affected:\n{out}"
    );
}

#[test]
fn affected_highlights_exactly_the_affected_nodes() {
    let repo = Repo::from_fixture("rbee");
    let dot = run(&repo, &["graph", "--format", "dot"])
        .success()
        .to_owned();
    assert!(
        highlighted(&dot_nodes(&dot)).is_empty(),
        "nothing is highlighted without --affected:\n{dot}"
    );

    for (edit, expected_bins) in [
        (NARRATION, all_but_xtask()),
        (
            "bin/rbee-hive/src/bin/hive-check.rs",
            pairs(&[("hive-check", "rbee-hive")]),
        ),
    ] {
        repo.append(edit, "// edited\n");
        let v = affected_json(&repo, &["--base", "HEAD"]);
        assert_eq!(bins(&v), expected_bins, "{v:#}");
        let expected = expected_highlight(&v);

        let dot = run(
            &repo,
            &["graph", "--format", "dot", "--affected", "--base", "HEAD"],
        )
        .success()
        .to_owned();
        let nodes = dot_nodes(&dot);
        assert!(nodes.contains_key("pkg:xtask"), "{dot}");
        assert_eq!(highlighted(&nodes), expected, "{dot}");

        let mermaid = run(
            &repo,
            &[
                "graph",
                "--format",
                "mermaid",
                "--affected",
                "--base",
                "HEAD",
            ],
        )
        .success()
        .to_owned();
        let m = Mermaid::parse(&mermaid);
        let hot: BTreeSet<String> = m
            .classes
            .get("affected")
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|id| {
                let label = m.label(id);
                if id.starts_with('p') {
                    format!("pkg:{label}")
                } else {
                    let (_, package) = expected_bins
                        .iter()
                        .chain(all_rbee_bins().iter())
                        .find(|(b, _)| b == label)
                        .expect("a known binary")
                        .clone();
                    format!("bin:{package}:{label}")
                }
            })
            .collect();
        assert_eq!(hot, expected, "{mermaid}");
        repo.git(&["checkout", "-q", "--", "."]);
    }

    // Committed, with --head.
    repo.append(NARRATION, "// edited\n");
    repo.commit("edit");
    let v = affected_json(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    let dot = run(
        &repo,
        &[
            "graph",
            "--format",
            "dot",
            "--affected",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
        ],
    )
    .success()
    .to_owned();
    assert_eq!(
        highlighted(&dot_nodes(&dot)),
        expected_highlight(&v),
        "{dot}"
    );
}

/// The dependency edges of the `dep-kinds` fixture, `(dependent, dependency)`, with the label
/// each must carry (none for a plain normal dependency) and its DOT style.
const KINDS_EDGES: &[(&str, &str, Option<&str>, &str)] = &[
    ("kinds-app", "kinds-core", Some("normal, dev"), "solid"),
    ("kinds-app", "kinds-gen", Some("build"), "dashed"),
    ("kinds-app", "kinds-testkit", Some("dev"), "dotted"),
    ("kinds-core", "kinds-gen", Some("build, dev"), "dashed"),
    ("kinds-core", "kinds-macros", None, "solid"),
    ("kinds-testkit", "kinds-core", None, "solid"),
];

fn kinds_pairs() -> BTreeSet<(String, String)> {
    KINDS_EDGES
        .iter()
        .map(|(a, b, _, _)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn dot_of(repo: &Repo, args: &[&str]) -> (String, Dot) {
    let mut all = vec!["graph", "--format", "dot"];
    all.extend_from_slice(args);
    let text = run(repo, &all).success().to_owned();
    let dot = Dot::parse(&text);
    (text, dot)
}

fn mermaid_of(repo: &Repo, args: &[&str]) -> (String, Mermaid) {
    let mut all = vec!["graph", "--format", "mermaid"];
    all.extend_from_slice(args);
    let text = run(repo, &all).success().to_owned();
    let m = Mermaid::parse(&text);
    (text, m)
}

#[test]
fn one_edge_per_pair_with_all_its_kinds_and_no_normal_label() {
    let repo = Repo::from_fixture("dep-kinds");
    let (text, dot) = dot_of(&repo, &[]);
    let deps = dot.dependencies();
    assert_eq!(
        deps.keys().cloned().collect::<BTreeSet<_>>(),
        kinds_pairs(),
        "{text}"
    );
    for (from, to, label, style) in KINDS_EDGES {
        let attributes = &deps[&((*from).to_owned(), (*to).to_owned())];
        assert_eq!(
            attribute(attributes, "label").as_deref(),
            *label,
            "{from} -> {to}: {attributes}"
        );
        assert!(
            attributes.contains(&format!("style={style}")),
            "{from} -> {to} is {style}: {attributes}"
        );
    }
    assert!(!text.contains("label=\"normal\""), "{text}");
    // The legend explains the styles drawn.
    for word in ["normal", "dashed: build-only", "dotted: dev-only"] {
        assert!(text.contains(word), "the legend explains {word:?}:\n{text}");
    }

    let (text, m) = mermaid_of(&repo, &[]);
    let deps = m.dependencies();
    assert_eq!(
        deps.keys().cloned().collect::<BTreeSet<_>>(),
        kinds_pairs(),
        "{text}"
    );
    for (from, to, label, style) in KINDS_EDGES {
        let (arrow, got) = &deps[&((*from).to_owned(), (*to).to_owned())];
        assert_eq!(got.as_str(), label.unwrap_or(""), "{from} -> {to}:\n{text}");
        let want = if *style == "solid" { "-->" } else { "-.->" };
        assert_eq!(arrow, want, "{from} -> {to}:\n{text}");
    }
}

#[test]
fn packages_are_clustered_by_their_parent_directory() {
    let repo = Repo::from_fixture("dep-kinds");
    let (text, dot) = dot_of(&repo, &[]);
    let clusters: BTreeMap<String, (String, BTreeSet<String>)> = dot.clusters.clone();
    let expected: BTreeMap<String, (String, BTreeSet<String>)> = [
        ("apps/", &["pkg:kinds-app", "bin:kinds-app:kinds-app"][..]),
        (
            "libs/",
            &["pkg:kinds-core", "pkg:kinds-macros", "pkg:kinds-testkit"][..],
        ),
        ("tools/", &["pkg:kinds-gen", "bin:kinds-gen:kinds-gen"][..]),
    ]
    .iter()
    .map(|(dir, ids)| (format!("cluster_{dir}"), ((*dir).to_owned(), names(ids))))
    .collect();
    assert_eq!(clusters, expected, "{text}");

    let (text, m) = mermaid_of(&repo, &[]);
    let expected: BTreeMap<String, BTreeSet<String>> = [
        ("apps/", &["kinds-app"][..]),
        (
            "libs/",
            &["kinds-core", "kinds-macros", "kinds-testkit"][..],
        ),
        ("tools/", &["kinds-gen"][..]),
    ]
    .iter()
    .map(|(dir, labels)| ((*dir).to_owned(), names(labels)))
    .collect();
    assert_eq!(m.subgraph_labels(), expected, "{text}");

    // A package at the workspace root is in no cluster; nested directories are their own.
    let repo = Repo::from_fixture("rbee");
    let (text, dot) = dot_of(&repo, &[]);
    let cluster_of = |id: &str| {
        dot.clusters
            .iter()
            .find(|(_, (_, ids))| ids.contains(id))
            .map(|(_, (label, _))| label.clone())
    };
    assert_eq!(cluster_of("pkg:xtask"), None, "{text}");
    assert_eq!(
        cluster_of("pkg:narration-core").as_deref(),
        Some("libs/"),
        "{text}"
    );
    assert_eq!(
        cluster_of("pkg:queen-rbee").as_deref(),
        Some("bin/"),
        "{text}"
    );
    assert_eq!(
        cluster_of("bin:rbee-hive:hive-check").as_deref(),
        Some("bin/"),
        "{text}"
    );
}

/// The node ids `affected --base HEAD` says are affected: member packages and binaries.
fn affected_ids(repo: &Repo) -> BTreeSet<String> {
    let v = affected_json(repo, &["--base", "HEAD"]);
    let mut ids: BTreeSet<String> = packages(&v).iter().map(|p| format!("pkg:{p}")).collect();
    ids.extend(bins(&v).into_iter().map(|(b, p)| format!("bin:{p}:{b}")));
    ids
}

/// The DOT ids of causes and what each points at.
fn cause_edges(dot: &Dot) -> BTreeSet<(String, String)> {
    dot.edge_set()
        .into_iter()
        .filter(|(from, _)| from.starts_with("cause:"))
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn only_affected_draws_exactly_the_affected_part_and_its_causes() {
    let repo = Repo::from_fixture("dep-kinds");

    // A library every other library and the app depend on.
    repo.append("libs/kinds-macros/src/lib.rs", "// edited\n");
    let affected = affected_ids(&repo);
    let packages = [
        "pkg:kinds-macros",
        "pkg:kinds-core",
        "pkg:kinds-testkit",
        "pkg:kinds-app",
    ];
    let mut expected = names(&packages);
    expected.insert("bin:kinds-app:kinds-app".to_owned());
    assert_eq!(affected, expected, "the fixture's answer");
    let (text, dot) = dot_of(&repo, &["--only-affected", "--base", "HEAD"]);
    let mut drawn = expected.clone();
    drawn.insert("cause:package:kinds-macros".to_owned());
    assert_eq!(
        dot.nodes.keys().cloned().collect::<BTreeSet<_>>(),
        drawn,
        "{text}"
    );
    assert_eq!(highlighted(&dot_nodes(&text)), expected, "{text}");
    assert_eq!(
        dot.edge_set(),
        set(&[
            ("bin:kinds-app:kinds-app", "pkg:kinds-app"),
            ("pkg:kinds-app", "pkg:kinds-core"),
            ("pkg:kinds-app", "pkg:kinds-testkit"),
            ("pkg:kinds-core", "pkg:kinds-macros"),
            ("pkg:kinds-testkit", "pkg:kinds-core"),
            ("cause:package:kinds-macros", "pkg:kinds-macros"),
        ]),
        "{text}"
    );
    let cause = &dot.nodes["cause:package:kinds-macros"];
    assert_eq!(
        attribute(cause, "label").as_deref(),
        Some("libs/kinds-macros/src/lib.rs"),
        "{text}"
    );
    // Every affected node says which path coloured it.
    for id in &expected {
        let tooltip = attribute(&dot.nodes[id], "tooltip")
            .unwrap_or_else(|| panic!("{id} has no tooltip:\n{text}"));
        assert!(
            tooltip.contains("libs/kinds-macros/src/lib.rs"),
            "{id}: {tooltip}"
        );
    }

    let (text, m) = mermaid_of(&repo, &["--only-affected", "--base", "HEAD"]);
    let labels: BTreeSet<String> = m.labels.values().cloned().collect();
    assert_eq!(
        labels,
        names(&[
            "kinds-macros",
            "kinds-core",
            "kinds-testkit",
            "kinds-app",
            "libs/kinds-macros/src/lib.rs"
        ]),
        "{text}"
    );
    let causes = m.classes.get("cause").cloned().unwrap_or_default();
    assert_eq!(causes.len(), 1, "{text}");
    let cause = causes.first().expect("one cause");
    let from_cause: Vec<&str> = m
        .links
        .iter()
        .filter(|(from, ..)| from == cause)
        .map(|(.., to)| m.label(to))
        .collect();
    assert_eq!(from_cause, ["kinds-macros"], "{text}");
    repo.git(&["checkout", "-q", "--", "."]);

    // A library no binary needs: no binary is affected, yet its change is drawn as the cause.
    repo.append("libs/kinds-testkit/src/lib.rs", "// edited\n");
    assert_eq!(affected_ids(&repo), names(&["pkg:kinds-testkit"]));
    let (text, dot) = dot_of(&repo, &["--only-affected", "--base", "HEAD"]);
    assert_eq!(
        dot.nodes.keys().cloned().collect::<BTreeSet<_>>(),
        names(&["pkg:kinds-testkit", "cause:package:kinds-testkit"]),
        "{text}"
    );
    assert_eq!(
        cause_edges(&dot),
        set(&[("cause:package:kinds-testkit", "pkg:kinds-testkit")]),
        "{text}"
    );
    repo.git(&["checkout", "-q", "--", "."]);

    // A file outside every package reaches every binary directly.
    repo.append("scripts/release.sh", "echo again\n");
    let (text, dot) = dot_of(&repo, &["--only-affected", "--base", "HEAD"]);
    let mut drawn = affected_ids(&repo);
    assert_eq!(drawn.len(), 7, "every package and binary: {drawn:?}");
    drawn.insert("cause:path:scripts/release.sh".to_owned());
    assert_eq!(
        dot.nodes.keys().cloned().collect::<BTreeSet<_>>(),
        drawn,
        "{text}"
    );
    assert_eq!(
        cause_edges(&dot),
        set(&[
            ("cause:path:scripts/release.sh", "bin:kinds-app:kinds-app"),
            ("cause:path:scripts/release.sh", "bin:kinds-gen:kinds-gen"),
        ]),
        "{text}"
    );
    assert_eq!(dot.dependencies().len(), KINDS_EDGES.len(), "{text}");
}

#[test]
fn the_whole_affected_picture_names_the_cause_of_every_colour() {
    let repo = Repo::from_fixture("rbee");
    repo.append(NARRATION, "// edited\n");
    let affected = affected_ids(&repo);
    let (text, dot) = dot_of(&repo, &["--affected", "--base", "HEAD"]);
    // Everything is drawn, the unaffected too, with the one cause.
    assert!(dot.nodes.contains_key("pkg:xtask"), "{text}");
    let causes: BTreeSet<&String> = dot
        .nodes
        .keys()
        .filter(|id| id.starts_with("cause:"))
        .collect();
    assert_eq!(
        causes,
        BTreeSet::from([&"cause:package:narration-core".to_owned()]),
        "{text}"
    );
    assert_eq!(
        cause_edges(&dot),
        set(&[("cause:package:narration-core", "pkg:narration-core")]),
        "{text}"
    );
    for (id, attributes) in &dot.nodes {
        let tooltip = attribute(attributes, "tooltip");
        if affected.contains(id) {
            let tooltip = tooltip.unwrap_or_else(|| panic!("{id} has no tooltip:\n{text}"));
            assert!(tooltip.contains(NARRATION), "{id}: {tooltip}");
        } else if !id.starts_with("cause:") {
            assert_eq!(tooltip, None, "{id} is not affected:\n{text}");
        }
    }
    // Binaries say the way the change took.
    let queen = attribute(&dot.nodes["bin:queen-rbee:queen-rbee"], "tooltip").expect("tooltip");
    assert!(queen.contains("narration-core -> "), "{queen}");
}

#[test]
fn only_affected_is_a_picture() {
    let repo = Repo::from_fixture("dep-kinds");
    assert_bad_input(&run(
        &repo,
        &["graph", "--only-affected", "--format", "json"],
    ));
    assert_bad_input(&run(&repo, &["graph", "--only-affected", "--head", "HEAD"]));
    assert_bad_input(&run(&repo, &["graph", "--head", "HEAD", "--base", "HEAD"]));
}

#[test]
fn graph_flags_need_their_partners() {
    let repo = Repo::from_fixture("rbee");
    assert_bad_input(&run(&repo, &["graph", "--base", "HEAD"]));
    assert_bad_input(&run(&repo, &["graph", "--affected", "--head", "HEAD"]));
    assert_bad_input(&run(&repo, &["graph", "--format", "png"]));
    assert_bad_input(&run(
        &repo,
        &["graph", "--affected", "--base", "no-such-branch"],
    ));
}

/// Whether Graphviz's `dot` can be run.
fn has_dot() -> bool {
    Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The nodes of an SVG drawn by Graphviz: title (the DOT id) and the fill of its shape.
fn svg_nodes(svg: &str) -> BTreeMap<String, String> {
    svg.split("<g id=\"node")
        .skip(1)
        .map(|group| {
            let group = group.split("</g>").next().expect("a group");
            assert!(group.contains("class=\"node\""), "{group}");
            let title = group
                .split("<title>")
                .nth(1)
                .and_then(|t| t.split("</title>").next())
                .unwrap_or_else(|| panic!("a node without title: {group}"));
            let title = title
                .replace("&#45;", "-")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            let fill = group
                .split(" fill=\"")
                .nth(1)
                .and_then(|f| f.split('"').next())
                .unwrap_or("")
                .to_owned();
            (title, fill)
        })
        .collect()
}

#[test]
fn svg_shows_the_highlighted_nodes() {
    if !has_dot() {
        skip_unless_ci("Graphviz `dot` is not installed (the SVG rendering test needs it)");
        return;
    }
    let repo = Repo::from_fixture("rbee");
    repo.append(NARRATION, "// edited\n");
    let v = affected_json(&repo, &["--base", "HEAD"]);
    let expected = expected_highlight(&v);
    let svg = run(
        &repo,
        &["graph", "--format", "svg", "--affected", "--base", "HEAD"],
    )
    .success()
    .to_owned();
    assert!(svg.contains("<svg"), "not an SVG:\n{svg}");
    let nodes = svg_nodes(&svg);
    let members: BTreeSet<String> = RBEE_MEMBERS.iter().map(|p| format!("pkg:{p}")).collect();
    let drawn: BTreeSet<String> = nodes.keys().cloned().collect();
    assert!(
        drawn.is_superset(&members),
        "every package is drawn: {drawn:?}"
    );
    let hot: BTreeSet<String> = nodes
        .iter()
        .filter(|(_, fill)| fill.eq_ignore_ascii_case(AFFECTED_FILL))
        .map(|(title, _)| title.clone())
        .collect();
    assert_eq!(hot, expected, "highlighted nodes in the SVG");
    assert!(expected.contains("pkg:narration-core"), "{expected:?}");
    assert!(
        expected.contains("bin:queen-rbee:queen-rbee"),
        "{expected:?}"
    );
}

#[test]
fn svg_draws_clusters_and_combined_labels() {
    if !has_dot() {
        skip_unless_ci("Graphviz `dot` is not installed (the SVG cluster test needs it)");
        return;
    }
    let repo = Repo::from_fixture("dep-kinds");
    let svg = run(&repo, &["graph", "--format", "svg"])
        .success()
        .to_owned();
    let clusters: BTreeSet<&str> = svg
        .split("<g id=\"clust")
        .skip(1)
        .filter_map(|g| g.split("<title>").nth(1)?.split("</title>").next())
        .collect();
    assert_eq!(
        clusters,
        BTreeSet::from(["cluster_apps/", "cluster_libs/", "cluster_tools/"]),
        "{svg}"
    );
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1)?.split("</text").next())
        .collect();
    assert!(texts.contains(&"normal, dev"), "{texts:?}");
    assert!(texts.contains(&"build, dev"), "{texts:?}");
    assert!(!texts.contains(&"normal"), "{texts:?}");
}

#[test]
fn svg_without_graphviz_says_to_install_it() {
    let repo = Repo::from_fixture("rbee");
    // No `dot` on an empty PATH; cargo is named by $CARGO.
    let empty = tempfile::tempdir().expect("an empty directory");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let out = run_in(
        &repo,
        &repo.workspace(),
        &["graph", "--format", "svg"],
        &[
            ("PATH", empty.path().as_os_str().to_owned()),
            ("CARGO", cargo),
        ],
    );
    assert_bad_input(&out);
    assert!(out.stderr.contains("graphviz"), "{out:#?}");
    assert!(out.stdout.is_empty(), "{out:#?}");
}

#[test]
fn completions_for_each_shell() {
    let repo = Repo::from_fixture("rbee");
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&repo, &["completions", shell]).success().to_owned();
        assert!(!out.trim().is_empty(), "{shell}: empty");
        for word in ["ensure", "explain", "affected"] {
            assert!(out.contains(word), "{shell} completions mention {word}");
        }
    }
    assert_bad_input(&run(&repo, &["completions", "tcsh"]));
}
