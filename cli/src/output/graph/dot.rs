//! A [`Picture`] as Graphviz source: directory groups as clusters, causes as notes.

use std::io::Write;

use rbee_graph_model::DepKind;

use super::picture::{EdgeKind, EdgeKinds, Picture, PictureNode, Shape};
use super::{AFFECTED_FILL, BIN_FILL, CAUSE_FILL, SPAWN_COLOUR};

/// The colour of cluster frames and labels, and of edges from a binary to its package:
/// structure, not content.
const FRAME_COLOUR: &str = "#9aa0a6";
/// The colour of cluster labels.
const LABEL_COLOUR: &str = "#3c4043";
/// The colour of dependency edges: dark enough to follow, lighter than the node text.
const EDGE_COLOUR: &str = "#5f6368";
/// The colour of edges from a cause.
const CAUSE_COLOUR: &str = "#c5221f";
/// Dependency edges take the colour of their dependent, so that the many edges leaving one
/// package can be followed through a crowded picture. Dark, and never red (spawns, causes).
const DEPENDENT_COLOURS: &[&str] = &[
    "#1a73e8", "#188038", "#e37400", "#9334e6", "#007b83", "#b0006a", "#5f6368", "#795548",
];

pub fn dot(out: &mut impl Write, picture: &Picture) -> anyhow::Result<()> {
    writeln!(out, "digraph workspace {{")?;
    // Left to right: package names are wide, so ranks side by side waste less space than
    // rows; `newrank` ranks clusters' nodes with everything else rather than one cluster at a
    // time, which keeps long dependency chains straight.
    writeln!(out, "    rankdir=LR;")?;
    writeln!(out, "    newrank=true;")?;
    writeln!(out, "    ranksep=0.6;")?;
    writeln!(out, "    nodesep=0.15;")?;
    writeln!(out, "    fontname=\"Helvetica\";")?;
    writeln!(
        out,
        "    node [fontname=\"Helvetica\", fontsize=11, height=0.3, margin=\"0.1,0.03\"];"
    )?;
    writeln!(
        out,
        "    edge [fontname=\"Helvetica\", fontsize=9, color=\"{EDGE_COLOUR}\", fontcolor=\"{EDGE_COLOUR}\", arrowsize=0.6];"
    )?;
    let mut label: Vec<String> = picture.caption.iter().cloned().collect();
    let legend = legend(&picture.edge_kinds());
    if !legend.is_empty() {
        label.push(legend.join(" · "));
    }
    if !label.is_empty() {
        writeln!(out, "    labelloc=t;")?;
        writeln!(out, "    fontsize=12;")?;
        writeln!(out, "    label={};", lines(&label))?;
    }
    for (group, nodes) in picture.groups() {
        if group.is_empty() {
            for node in nodes {
                writeln!(out, "    {}", node_line(node))?;
            }
            continue;
        }
        writeln!(
            out,
            "    subgraph {} {{",
            quote(&format!("cluster_{group}"))
        )?;
        writeln!(out, "        label={};", quote(group))?;
        writeln!(out, "        labeljust=l;")?;
        writeln!(out, "        style=rounded;")?;
        writeln!(out, "        color=\"{FRAME_COLOUR}\";")?;
        // Darker than the frame: the directory is what a reader looks for first.
        writeln!(out, "        fontcolor=\"{LABEL_COLOUR}\";")?;
        writeln!(out, "        fontsize=12;")?;
        writeln!(out, "        margin=10;")?;
        for node in nodes {
            writeln!(out, "        {}", node_line(node))?;
        }
        writeln!(out, "    }}")?;
    }
    let mut dependents: Vec<&str> = Vec::new();
    for edge in &picture.edges {
        let mut attributes = edge_attributes(&edge.kind);
        if matches!(edge.kind, EdgeKind::Depends(_)) {
            let index = dependents
                .iter()
                .position(|d| *d == edge.from)
                .unwrap_or_else(|| {
                    dependents.push(&edge.from);
                    dependents.len() - 1
                });
            let colour = DEPENDENT_COLOURS[index % DEPENDENT_COLOURS.len()];
            attributes.push(format!("color=\"{colour}\""));
        }
        if let Some(label) = edge.kind.label() {
            attributes.push(format!("label={}", quote(&label)));
        }
        writeln!(
            out,
            "    {} -> {} [{}];",
            quote(&edge.from),
            quote(&edge.to),
            attributes.join(", ")
        )?;
    }
    writeln!(out, "}}")?;
    Ok(())
}

/// What the edge styles mean, for the edges drawn.
fn legend(kinds: &EdgeKinds) -> Vec<&'static str> {
    let mut legend = Vec::new();
    if kinds.depends {
        legend.push("arrow: depends on (unlabelled: normal; colour: the dependent's)");
    }
    if kinds.build_only {
        legend.push("dashed: build-only");
    }
    if kinds.dev_only {
        legend.push("dotted: dev-only");
    }
    if kinds.spawns {
        legend.push("red: spawns");
    }
    if kinds.causes {
        legend.push("note: a change, pointing at what it reaches first");
    }
    legend
}

fn node_line(node: &PictureNode) -> String {
    let mut attributes: Vec<String> = match node.shape {
        Shape::Package if node.affected => vec![
            "shape=box".into(),
            "style=filled".into(),
            format!("fillcolor=\"{AFFECTED_FILL}\""),
        ],
        Shape::Package => vec!["shape=box".into()],
        Shape::Binary => vec![
            "shape=ellipse".into(),
            "style=filled".into(),
            format!(
                "fillcolor=\"{}\"",
                if node.affected {
                    AFFECTED_FILL
                } else {
                    BIN_FILL
                }
            ),
        ],
        Shape::Cause => vec![
            "shape=note".into(),
            "style=filled".into(),
            format!("fillcolor=\"{CAUSE_FILL}\""),
            format!("color=\"{CAUSE_COLOUR}\""),
            "fontsize=10".into(),
        ],
    };
    attributes.push(format!("label={}", lines(&node.lines)));
    if !node.why.is_empty() {
        attributes.push(format!("tooltip={}", lines(&node.why)));
    }
    format!("{} [{}];", quote(&node.id), attributes.join(", "))
}

fn edge_attributes(kind: &EdgeKind) -> Vec<String> {
    match kind {
        EdgeKind::Owns => vec![format!("color=\"{FRAME_COLOUR}\""), "arrowhead=none".into()],
        // What a pair reaches binaries through decides the style: normal or build edges are
        // drawn as such even when the pair is also a dev-dependency (the label says so).
        EdgeKind::Depends(kinds) if kinds.contains(&DepKind::Normal) => {
            vec!["style=solid".into()]
        }
        EdgeKind::Depends(kinds) if kinds.contains(&DepKind::Build) => {
            vec!["style=dashed".into()]
        }
        EdgeKind::Depends(_) => vec!["style=dotted".into()],
        EdgeKind::Spawns => vec![
            "style=bold".into(),
            format!("color=\"{SPAWN_COLOUR}\""),
            format!("fontcolor=\"{SPAWN_COLOUR}\""),
        ],
        EdgeKind::Causes => vec![format!("color=\"{CAUSE_COLOUR}\""), "penwidth=1.5".into()],
    }
}

/// A DOT string literal of several lines.
fn lines(lines: &[String]) -> String {
    let escaped: Vec<String> = lines.iter().map(|l| escape(l)).collect();
    format!("\"{}\"", escaped.join("\\n"))
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
