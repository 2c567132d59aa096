//! A [`Picture`] as a Mermaid flowchart: directory groups as subgraphs, causes as flags.
//!
//! Node ids are `p<N>` for packages, `b<N>` for binaries and `c<N>` for causes (names may
//! hold characters Mermaid ids cannot); labels carry the names.

use std::collections::BTreeMap;
use std::io::Write;

use rbee_graph_model::DepKind;

use super::picture::{EdgeKind, EdgeKinds, Picture, PictureNode, Shape};
use super::{AFFECTED_FILL, BIN_FILL, CAUSE_FILL, SPAWN_COLOUR};

pub fn mermaid(out: &mut impl Write, picture: &Picture) -> anyhow::Result<()> {
    let ids = mermaid_ids(picture);
    writeln!(out, "flowchart LR")?;
    if let Some(caption) = &picture.caption {
        writeln!(out, "    %% {caption}")?;
    }
    for line in legend(&picture.edge_kinds()) {
        writeln!(out, "    %% {line}")?;
    }
    writeln!(
        out,
        "    classDef bin fill:{BIN_FILL},stroke:#4a6fa5,color:#000"
    )?;
    writeln!(
        out,
        "    classDef affected fill:{AFFECTED_FILL},stroke:#b06000,color:#000"
    )?;
    writeln!(
        out,
        "    classDef cause fill:{CAUSE_FILL},stroke:#c5221f,color:#000"
    )?;
    for (g, (group, nodes)) in picture.groups().into_iter().enumerate() {
        let indent = if group.is_empty() { "    " } else { "        " };
        if !group.is_empty() {
            writeln!(out, "    subgraph g{g}[\"{}\"]", text(group))?;
        }
        for node in nodes {
            writeln!(out, "{indent}{}", node_line(&ids[node.id.as_str()], node))?;
        }
        if !group.is_empty() {
            writeln!(out, "    end")?;
        }
    }
    // Mermaid styles links by their index, in the order they are written.
    let mut spawn_links = Vec::new();
    let mut cause_links = Vec::new();
    for (i, edge) in picture.edges.iter().enumerate() {
        let arrow = match &edge.kind {
            EdgeKind::Owns => "---",
            // Mermaid has one dotted style: for every dependency that is not normal.
            EdgeKind::Depends(kinds) if kinds.contains(&DepKind::Normal) => "-->",
            EdgeKind::Depends(_) => "-.->",
            EdgeKind::Spawns => "==>",
            EdgeKind::Causes => "-->",
        };
        match edge.kind {
            EdgeKind::Spawns => spawn_links.push(i.to_string()),
            EdgeKind::Causes => cause_links.push(i.to_string()),
            _ => {}
        }
        let label = edge
            .kind
            .label()
            .map(|l| format!("|{}|", text(&l)))
            .unwrap_or_default();
        writeln!(
            out,
            "    {} {arrow}{label} {}",
            ids[edge.from.as_str()],
            ids[edge.to.as_str()]
        )?;
    }
    if !spawn_links.is_empty() {
        writeln!(
            out,
            "    linkStyle {} stroke:{SPAWN_COLOUR},stroke-width:3px",
            spawn_links.join(",")
        )?;
    }
    if !cause_links.is_empty() {
        writeln!(
            out,
            "    linkStyle {} stroke:#c5221f,stroke-width:2px",
            cause_links.join(",")
        )?;
    }
    for class in ["bin", "affected", "cause"] {
        let members: Vec<&str> = picture
            .nodes
            .iter()
            .filter(|n| class_of(n) == Some(class))
            .map(|n| ids[n.id.as_str()].as_str())
            .collect();
        if !members.is_empty() {
            writeln!(out, "    class {} {class}", members.join(","))?;
        }
    }
    Ok(())
}

/// What the link styles mean, for the links drawn (as comments: a flowchart has no legend).
fn legend(kinds: &EdgeKinds) -> Vec<&'static str> {
    let mut legend = Vec::new();
    if kinds.depends {
        legend.push("arrow: depends on (unlabelled: normal)");
    }
    if kinds.build_only || kinds.dev_only {
        legend.push("dotted: build- or dev-only");
    }
    if kinds.spawns {
        legend.push("thick red: spawns");
    }
    if kinds.causes {
        legend.push("flag: a change, pointing at what it reaches first");
    }
    legend
}

/// The Mermaid id of every node: a letter for its shape and its index among that shape.
fn mermaid_ids(picture: &Picture) -> BTreeMap<&str, String> {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    picture
        .nodes
        .iter()
        .map(|n| {
            let letter = match n.shape {
                Shape::Package => 'p',
                Shape::Binary => 'b',
                Shape::Cause => 'c',
            };
            let count = counts.entry(letter).or_default();
            *count += 1;
            (n.id.as_str(), format!("{letter}{}", *count - 1))
        })
        .collect()
}

fn node_line(id: &str, node: &PictureNode) -> String {
    let label = node
        .lines
        .iter()
        .map(|l| text(l))
        .collect::<Vec<_>>()
        .join("<br>");
    match node.shape {
        Shape::Package => format!("{id}[\"{label}\"]"),
        Shape::Binary => format!("{id}([\"{label}\"])"),
        Shape::Cause => format!("{id}>\"{label}\"]"),
    }
}

fn class_of(node: &PictureNode) -> Option<&'static str> {
    match node.shape {
        Shape::Cause => Some("cause"),
        _ if node.affected => Some("affected"),
        Shape::Binary => Some("bin"),
        Shape::Package => None,
    }
}

/// Text inside a quoted Mermaid label.
fn text(text: &str) -> String {
    text.replace('"', "#quot;")
}
