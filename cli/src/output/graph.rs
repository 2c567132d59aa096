//! `rbee-graph graph`: the workspace graph as Graphviz, Mermaid, SVG (through Graphviz) or
//! JSON, with the affected packages and binaries highlighted when asked.
//!
//! Every picture draws the same things ([`picture`]): a box per member package, a rounded
//! node per binary (linked to its package), grouped by directory; one dependency edge per
//! pair of packages, labelled only with kinds other than `normal`; spawn edges between
//! binaries (thick and red). With `--affected`, affected nodes are filled with
//! [`AFFECTED_FILL`] and say why in their tooltip, and each change that coloured them is a
//! note pointing at what it reaches first; `--only-affected` draws nothing else.

mod causes;
mod dot;
mod mermaid;
mod picture;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use rbee_graph_engine::Snapshot;

use super::Answer;
use rbee_graph_model::{Binary, DepKind, Node, TargetKind};
use serde::Serialize;

use super::SCHEMA;
use crate::args::GraphFormat;

/// The fill of an affected package or binary, in every format.
pub const AFFECTED_FILL: &str = "#fbbc04";
/// The fill of a binary that is not affected.
const BIN_FILL: &str = "#e8f0fe";
/// The fill of a cause: a change that coloured what it points at.
const CAUSE_FILL: &str = "#fce8e6";
/// The colour of spawn edges.
const SPAWN_COLOUR: &str = "#d93025";

/// What to highlight in JSON: the affected packages and binaries of a report.
struct Highlight {
    packages: BTreeSet<String>,
    binaries: BTreeSet<Binary>,
    caption: String,
}

impl Highlight {
    fn of(answer: &Answer, caption: String) -> Highlight {
        Highlight {
            packages: answer.packages().iter().cloned().collect(),
            binaries: answer
                .binaries()
                .into_iter()
                .map(|(b, _)| b.clone())
                .collect(),
            caption,
        }
    }
}

pub fn graph(
    out: &mut impl Write,
    snapshot: &Snapshot,
    affected: Option<&Answer>,
    only_affected: bool,
    format: GraphFormat,
) -> anyhow::Result<()> {
    let picture = picture::picture(snapshot, affected, only_affected);
    match format {
        GraphFormat::Json => {
            let highlight = affected
                .zip(picture.caption.clone())
                .map(|(report, caption)| Highlight::of(report, caption));
            json(out, snapshot, highlight.as_ref())
        }
        GraphFormat::Dot => dot::dot(out, &picture),
        GraphFormat::Mermaid => mermaid::mermaid(out, &picture),
        GraphFormat::Svg => {
            let mut source = Vec::new();
            dot::dot(&mut source, &picture)?;
            out.write_all(&svg(&source)?)?;
            Ok(())
        }
    }
}

/// Draws DOT source with Graphviz's `dot -Tsvg`.
fn svg(source: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "--format svg needs Graphviz's `dot`, which is not installed; install graphviz \
             (`apt-get install graphviz`, `brew install graphviz`) or use --format dot"
        ),
        Err(e) => return Err(e).context("cannot run Graphviz's `dot`"),
    };
    // Graphviz reads all of its input before it writes; a thread is not needed.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin
        .write_all(source)
        .context("cannot write to Graphviz's `dot`")?;
    drop(stdin);
    let output = child
        .wait_with_output()
        .context("cannot read from Graphviz's `dot`")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        bail!("Graphviz's `dot -Tsvg` failed ({}): {first}", output.status);
    }
    Ok(output.stdout)
}

#[derive(Serialize)]
struct GraphJson<'a> {
    schema: u32,
    workspace_root: &'a str,
    packages: Vec<PackageJson<'a>>,
    spawns: Vec<SpawnJson<'a>>,
    /// With `--affected` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    affected: Option<AffectedJson<'a>>,
}

#[derive(Serialize)]
struct AffectedJson<'a> {
    caption: &'a str,
    packages: &'a BTreeSet<String>,
    binaries: Vec<BinJson<'a>>,
}

#[derive(Serialize)]
struct BinJson<'a> {
    name: &'a str,
    package: &'a str,
}

#[derive(Serialize)]
struct PackageJson<'a> {
    name: &'a str,
    version: &'a str,
    dir: Option<&'a str>,
    member: bool,
    targets: Vec<TargetJson<'a>>,
    dependencies: Vec<DependencyJson<'a>>,
}

#[derive(Serialize)]
struct TargetJson<'a> {
    name: &'a str,
    kind: TargetKind,
    src_path: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    required_features: &'a [String],
}

#[derive(Serialize)]
struct DependencyJson<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    kind: DepKind,
    external: bool,
}

#[derive(Serialize)]
struct SpawnJson<'a> {
    from: &'a str,
    to: &'a str,
}

fn json(
    out: &mut impl Write,
    snapshot: &Snapshot,
    highlight: Option<&Highlight>,
) -> anyhow::Result<()> {
    let graph = &snapshot.graph;
    let packages = graph
        .packages()
        .map(|(id, p)| {
            let mut dependencies: Vec<DependencyJson> = graph
                .dependencies(id)
                .map(|(dep, kind)| match graph.node(dep) {
                    Node::Package(d) => DependencyJson {
                        name: &d.name,
                        version: None,
                        kind,
                        external: false,
                    },
                    Node::External(e) => DependencyJson {
                        name: &e.name,
                        version: Some(&e.version),
                        kind,
                        external: true,
                    },
                })
                .collect();
            dependencies.sort_by(|a, b| (a.name, a.kind).cmp(&(b.name, b.kind)));
            PackageJson {
                name: &p.name,
                version: &p.version,
                dir: p.dir.as_deref(),
                member: p.member,
                targets: p
                    .targets
                    .iter()
                    .map(|t| TargetJson {
                        name: &t.name,
                        kind: t.kind,
                        src_path: t.src_path.as_deref(),
                        required_features: &t.required_features,
                    })
                    .collect(),
                dependencies,
            }
        })
        .collect();
    let spawns = snapshot
        .config
        .spawns
        .iter()
        .flat_map(|(from, to)| to.iter().map(move |to| SpawnJson { from, to }))
        .collect();
    let affected = highlight.map(|h| AffectedJson {
        caption: &h.caption,
        packages: &h.packages,
        binaries: h
            .binaries
            .iter()
            .map(|b| BinJson {
                name: &b.name,
                package: &b.package,
            })
            .collect(),
    });
    let doc = GraphJson {
        schema: SCHEMA,
        workspace_root: graph.workspace_root(),
        packages,
        spawns,
        affected,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
