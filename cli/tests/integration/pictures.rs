//! `graph --format dot|mermaid|svg [--affected --base REV]` and `completions`, on the `rbee`
//! fixture: every package and spawn edge is drawn, and exactly the affected nodes are
//! highlighted.

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
    dot.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('"') && !l.contains(" -> "))
        .map(|l| {
            let id = l[1..].split('"').next().expect("a quoted id").to_owned();
            (id, l.contains(&format!("fillcolor=\"{AFFECTED_FILL}\"")))
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

/// A Mermaid flowchart read back: node labels by id, links in order, class assignments.
struct Mermaid {
    labels: BTreeMap<String, String>,
    /// `(from, arrow, label, to)`, in the order written.
    links: Vec<(String, String, String, String)>,
    /// Link indices given the spawn style.
    styled_links: BTreeSet<usize>,
    /// Node ids by class.
    classes: BTreeMap<String, BTreeSet<String>>,
}

impl Mermaid {
    fn parse(text: &str) -> Mermaid {
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("flowchart LR"), "{text}");
        let mut m = Mermaid {
            labels: BTreeMap::new(),
            links: Vec::new(),
            styled_links: BTreeSet::new(),
            classes: BTreeMap::new(),
        };
        for line in lines.map(str::trim) {
            let words: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with("%%") || line.starts_with("classDef ") {
                continue;
            } else if let Some(rest) = line.strip_prefix("linkStyle ") {
                let indices = rest.split_whitespace().next().expect("indices");
                m.styled_links.extend(
                    indices
                        .split(',')
                        .map(|i| i.parse::<usize>().expect("index")),
                );
            } else if let Some(rest) = line.strip_prefix("class ") {
                let (ids, class) = rest.split_once(' ').expect("class IDS NAME");
                m.classes
                    .entry(class.to_owned())
                    .or_default()
                    .extend(ids.split(',').map(str::to_owned));
            } else if words.len() >= 3 {
                // `a --- b`, `a -->|normal| b`, `a ==>|spawns| b`
                let (arrow, label) = match words[1].split_once('|') {
                    Some((arrow, label)) => (arrow, label.trim_end_matches('|')),
                    None => (words[1], ""),
                };
                m.links.push((
                    words[0].to_owned(),
                    arrow.to_owned(),
                    label.to_owned(),
                    words[2].to_owned(),
                ));
            } else {
                let (id, rest) = line
                    .split_once(['[', '('])
                    .unwrap_or_else(|| panic!("not a node: {line}"));
                let label = rest.split('"').nth(1).expect("a quoted label");
                m.labels.insert(id.to_owned(), label.to_owned());
            }
        }
        m
    }

    fn label(&self, id: &str) -> &str {
        self.labels
            .get(id)
            .unwrap_or_else(|| panic!("link to an undeclared node {id}"))
    }
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
        assert_eq!(m.styled_links.contains(&i), spawn, "link {i}:\n{out}");
    }
    // Every normal and build edge between members is there.
    let deps: BTreeSet<(String, String)> = m
        .links
        .iter()
        .filter(|(_, _, label, _)| label == "normal" || label == "build")
        .map(|(a, _, _, b)| (m.label(b).to_owned(), m.label(a).to_owned()))
        .collect();
    for (dependency, dependent) in RBEE_EDGES {
        if RBEE_MEMBERS.contains(dependency) {
            assert!(
                deps.contains(&((*dependency).to_owned(), (*dependent).to_owned())),
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
        eprintln!("note: Graphviz `dot` is not installed; skipping the SVG rendering test");
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
