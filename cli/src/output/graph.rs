//! `rbee-graph graph`: the workspace graph as Graphviz, Mermaid, SVG (through Graphviz) or
//! JSON, with the affected packages and binaries highlighted when asked.
//!
//! Every picture draws the same things: a box per member package, a rounded node per binary
//! (linked to its package), dependency edges between packages (normal solid, build dashed, dev
//! dotted) and spawn edges between binaries (thick and red). Affected nodes are filled with
//! [`AFFECTED_FILL`].

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use rbee_graph_engine::{Head, Snapshot};

use super::Answer;
use rbee_graph_model::{Binary, DepKind, Node, TargetKind};
use serde::Serialize;

use super::SCHEMA;
use crate::args::GraphFormat;

/// The fill of an affected package or binary, in every format.
pub const AFFECTED_FILL: &str = "#fbbc04";
/// The fill of a binary that is not affected.
const BIN_FILL: &str = "#e8f0fe";
/// The colour of spawn edges.
const SPAWN_COLOUR: &str = "#d93025";

/// What to highlight: the affected packages and binaries of a report.
struct Highlight {
    packages: BTreeSet<String>,
    binaries: BTreeSet<Binary>,
    caption: String,
}

impl Highlight {
    fn of(answer: &Answer) -> Highlight {
        let head = match answer.head() {
            Head::Commit(id) => id.short(),
            Head::Worktree => "working tree".to_owned(),
        };
        let caption = match answer.base() {
            Some(base) => format!("affected: {}..{head}", base.short()),
            None if answer.is_since_build() => {
                "affected: stale since each binary's last build".to_owned()
            }
            None => format!("affected: everything (no usable base)..{head}"),
        };
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

    fn package(&self, name: &str) -> bool {
        self.packages.contains(name)
    }

    fn binary(&self, package: &str, name: &str) -> bool {
        self.binaries.contains(&Binary {
            name: name.to_owned(),
            package: package.to_owned(),
        })
    }
}

pub fn graph(
    out: &mut impl Write,
    snapshot: &Snapshot,
    affected: Option<&Answer>,
    format: GraphFormat,
) -> anyhow::Result<()> {
    let highlight = affected.map(Highlight::of);
    match format {
        GraphFormat::Json => json(out, snapshot, highlight.as_ref()),
        GraphFormat::Dot => dot(out, snapshot, highlight.as_ref()),
        GraphFormat::Mermaid => mermaid(out, snapshot, highlight.as_ref()),
        GraphFormat::Svg => {
            let mut source = Vec::new();
            dot(&mut source, snapshot, highlight.as_ref())?;
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

fn dot(
    out: &mut impl Write,
    snapshot: &Snapshot,
    highlight: Option<&Highlight>,
) -> anyhow::Result<()> {
    let graph = &snapshot.graph;
    writeln!(out, "digraph workspace {{")?;
    writeln!(out, "    rankdir=LR;")?;
    writeln!(out, "    node [fontname=\"Helvetica\"];")?;
    if let Some(h) = highlight {
        writeln!(out, "    labelloc=t;")?;
        writeln!(out, "    label={};", quote(&h.caption))?;
    }
    for (id, package) in graph.members() {
        let fill = if highlight.is_some_and(|h| h.package(&package.name)) {
            format!(", style=filled, fillcolor=\"{AFFECTED_FILL}\"")
        } else {
            String::new()
        };
        writeln!(
            out,
            "    {} [shape=box{fill}, label={}];",
            quote(&package_node(&package.name)),
            quote(&package.name)
        )?;
        for bin in package.bins() {
            let node = bin_node(&package.name, &bin.name);
            let fill = if highlight.is_some_and(|h| h.binary(&package.name, &bin.name)) {
                AFFECTED_FILL
            } else {
                BIN_FILL
            };
            writeln!(
                out,
                "    {} [shape=ellipse, style=filled, fillcolor=\"{fill}\", label={}];",
                quote(&node),
                quote(&bin.name)
            )?;
            writeln!(
                out,
                "    {} -> {} [style=solid, color=gray];",
                quote(&node),
                quote(&package_node(&package.name))
            )?;
        }
        for (dep, kind) in graph.dependencies(id) {
            let Node::Package(dep) = graph.node(dep) else {
                continue;
            };
            let style = match kind {
                DepKind::Normal => "solid",
                DepKind::Build => "dashed",
                DepKind::Dev => "dotted",
            };
            writeln!(
                out,
                "    {} -> {} [style={style}, label={}];",
                quote(&package_node(&package.name)),
                quote(&package_node(&dep.name)),
                quote(kind.as_str())
            )?;
        }
    }
    for (spawner, spawned) in graph.spawn_pairs(&snapshot.config.spawns) {
        writeln!(
            out,
            "    {} -> {} [style=bold, color=\"{SPAWN_COLOUR}\", label=\"spawns\"];",
            quote(&bin_node(&spawner.package, &spawner.name)),
            quote(&bin_node(&spawned.package, &spawned.name))
        )?;
    }
    writeln!(out, "}}")?;
    Ok(())
}

/// A Mermaid flowchart. Node ids are `p<N>` for packages and `b<N>` for binaries (names may
/// hold characters Mermaid ids cannot); labels carry the names.
fn mermaid(
    out: &mut impl Write,
    snapshot: &Snapshot,
    highlight: Option<&Highlight>,
) -> anyhow::Result<()> {
    let graph = &snapshot.graph;
    let members: Vec<_> = graph.members().collect();
    let package_id = |name: &str| {
        members
            .iter()
            .position(|(_, p)| p.name == name)
            .map(|i| format!("p{i}"))
    };
    let binaries: Vec<Binary> = graph.binaries().map(|(_, b)| b).collect();
    let bin_id = |b: &Binary| {
        binaries
            .iter()
            .position(|x| x == b)
            .map(|i| format!("b{i}"))
    };

    writeln!(out, "flowchart LR")?;
    if let Some(h) = highlight {
        writeln!(out, "    %% {}", h.caption)?;
    }
    writeln!(
        out,
        "    classDef bin fill:{BIN_FILL},stroke:#4a6fa5,color:#000"
    )?;
    writeln!(
        out,
        "    classDef affected fill:{AFFECTED_FILL},stroke:#b06000,color:#000"
    )?;
    let mut affected_nodes = Vec::new();
    let mut bin_nodes = Vec::new();
    for (i, (_, package)) in members.iter().enumerate() {
        writeln!(out, "    p{i}[\"{}\"]", mermaid_text(&package.name))?;
        if highlight.is_some_and(|h| h.package(&package.name)) {
            affected_nodes.push(format!("p{i}"));
        }
    }
    for (i, binary) in binaries.iter().enumerate() {
        writeln!(out, "    b{i}([\"{}\"])", mermaid_text(&binary.name))?;
        if highlight.is_some_and(|h| h.binaries.contains(binary)) {
            affected_nodes.push(format!("b{i}"));
        } else {
            bin_nodes.push(format!("b{i}"));
        }
    }
    // Mermaid styles links by their index, in the order they are written.
    let mut links = 0usize;
    for binary in &binaries {
        if let (Some(b), Some(p)) = (bin_id(binary), package_id(&binary.package)) {
            writeln!(out, "    {b} --- {p}")?;
            links += 1;
        }
    }
    for (id, package) in &members {
        let Some(from) = package_id(&package.name) else {
            continue;
        };
        for (dep, kind) in graph.dependencies(*id) {
            let Node::Package(dep) = graph.node(dep) else {
                continue;
            };
            let Some(to) = package_id(&dep.name) else {
                continue;
            };
            let arrow = match kind {
                DepKind::Normal => "-->",
                DepKind::Build | DepKind::Dev => "-.->",
            };
            writeln!(out, "    {from} {arrow}|{}| {to}", kind.as_str())?;
            links += 1;
        }
    }
    let mut spawn_links = Vec::new();
    for (spawner, spawned) in graph.spawn_pairs(&snapshot.config.spawns) {
        if let (Some(a), Some(b)) = (bin_id(&spawner), bin_id(&spawned)) {
            writeln!(out, "    {a} ==>|spawns| {b}")?;
            spawn_links.push(links.to_string());
            links += 1;
        }
    }
    if !spawn_links.is_empty() {
        writeln!(
            out,
            "    linkStyle {} stroke:{SPAWN_COLOUR},stroke-width:3px",
            spawn_links.join(",")
        )?;
    }
    if !bin_nodes.is_empty() {
        writeln!(out, "    class {} bin", bin_nodes.join(","))?;
    }
    if !affected_nodes.is_empty() {
        writeln!(out, "    class {} affected", affected_nodes.join(","))?;
    }
    Ok(())
}

/// Text inside a quoted Mermaid label.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn package_node(package: &str) -> String {
    format!("pkg:{package}")
}

fn bin_node(package: &str, bin: &str) -> String {
    format!("bin:{package}:{bin}")
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
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
