//! Rendering: every format the CLI prints. The engine never prints; this is the only place
//! that knows what the output looks like.

use std::io::Write;

use rbee_graph_engine::freshness::Verdict;
use rbee_graph_engine::rules::{self, AffectedBinary, Mode, Reason, ReasonKind};
use rbee_graph_engine::snapshot::Snapshot;
use rbee_graph_engine::{AffectedReport, Head};
use rbee_graph_engine::{BuildOutcome, Profile};
use rbee_graph_model::{DepKind, Node, TargetKind};
use serde::Serialize;

use crate::args::{AffectedFormat, GraphFormat, StatusFormat};

/// The version of every JSON document the CLI prints.
const SCHEMA: u32 = 1;

#[derive(Serialize)]
struct AffectedJson<'a> {
    schema: u32,
    base: Option<String>,
    head: String,
    changed_paths: &'a [String],
    affected_packages: &'a [String],
    affected_binaries: Vec<BinaryJson<'a>>,
}

#[derive(Serialize)]
struct BinaryJson<'a> {
    name: &'a str,
    package: &'a str,
    reasons: Vec<ReasonJson<'a>>,
}

#[derive(Serialize)]
struct ReasonJson<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<&'a str>,
    chain: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

fn kind_name(kind: ReasonKind) -> &'static str {
    match kind {
        ReasonKind::Path => "path",
        ReasonKind::Dependency => "dependency",
        ReasonKind::Lockfile => "lockfile",
        ReasonKind::Global => "global",
        ReasonKind::Unowned => "unowned",
        ReasonKind::Record => "record",
    }
}

pub fn affected(
    out: &mut impl Write,
    report: &AffectedReport,
    mode: Mode,
    format: AffectedFormat,
) -> anyhow::Result<()> {
    match format {
        AffectedFormat::Json => {
            let doc = AffectedJson {
                schema: SCHEMA,
                base: report.base.map(|b| b.to_string()),
                head: match report.head {
                    Head::Commit(id) => id.to_string(),
                    Head::Worktree => "worktree".to_owned(),
                },
                changed_paths: &report.changed_paths,
                affected_packages: &report.affected.packages,
                affected_binaries: report.affected.binaries.iter().map(binary_json).collect(),
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        AffectedFormat::GithubMatrix => {
            let include: Vec<serde_json::Value> = match mode {
                Mode::Binaries => report
                    .affected
                    .binaries
                    .iter()
                    .map(|b| serde_json::json!({"bin": b.binary.name, "package": b.binary.package}))
                    .collect(),
                Mode::Tests => report
                    .affected
                    .packages
                    .iter()
                    .map(|p| serde_json::json!({"package": p}))
                    .collect(),
            };
            serde_json::to_writer(&mut *out, &serde_json::json!({ "include": include }))?;
            writeln!(out)?;
        }
        AffectedFormat::Text => affected_text(out, report, mode)?,
    }
    Ok(())
}

fn binary_json(b: &AffectedBinary) -> BinaryJson<'_> {
    BinaryJson {
        name: &b.binary.name,
        package: &b.binary.package,
        reasons: b.reasons.iter().map(reason_json).collect(),
    }
}

fn reason_json(r: &Reason) -> ReasonJson<'_> {
    ReasonJson {
        kind: kind_name(r.kind),
        path: r.path.as_deref(),
        package: r.package.as_deref(),
        chain: &r.chain,
        detail: r.detail.as_deref(),
    }
}

fn affected_text(out: &mut impl Write, report: &AffectedReport, mode: Mode) -> anyhow::Result<()> {
    let head = match report.head {
        Head::Commit(id) => id.to_hex_with_len(10).to_string(),
        Head::Worktree => "working tree".to_owned(),
    };
    let paths = report.changed_paths.len();
    let plural = if paths == 1 { "" } else { "s" };
    match report.base {
        Some(base) => writeln!(
            out,
            "{}..{head}: {paths} changed path{plural}",
            base.to_hex_with_len(10)
        )?,
        None => writeln!(
            out,
            "since each binary's last build: {paths} changed path{plural}"
        )?,
    }
    if mode == Mode::Tests {
        if report.affected.packages.is_empty() {
            writeln!(out, "no package's tests are affected")?;
        }
        for package in &report.affected.packages {
            writeln!(out, "test {package}")?;
        }
        return Ok(());
    }
    if report.affected.binaries.is_empty() {
        writeln!(out, "no binaries affected")?;
    }
    let width = report
        .affected
        .binaries
        .iter()
        .map(|b| label(&b.binary.name, &b.binary.package).len())
        .max()
        .unwrap_or(0);
    for binary in &report.affected.binaries {
        let reason = binary
            .reasons
            .first()
            .map(rules::describe)
            .unwrap_or_default();
        writeln!(
            out,
            "{:width$}  {reason}",
            label(&binary.binary.name, &binary.binary.package)
        )?;
    }
    Ok(())
}

fn label(name: &str, package: &str) -> String {
    if name == package {
        name.to_owned()
    } else {
        format!("{name} ({package})")
    }
}

#[derive(Serialize)]
struct GraphJson<'a> {
    schema: u32,
    workspace_root: &'a str,
    packages: Vec<PackageJson<'a>>,
    spawns: Vec<SpawnJson<'a>>,
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

pub fn graph(out: &mut impl Write, snapshot: &Snapshot, format: GraphFormat) -> anyhow::Result<()> {
    let graph = &snapshot.graph;
    match format {
        GraphFormat::Json => {
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
            let doc = GraphJson {
                schema: SCHEMA,
                workspace_root: graph.workspace_root(),
                packages,
                spawns,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        GraphFormat::Dot => {
            writeln!(out, "digraph workspace {{")?;
            writeln!(out, "    rankdir=LR;")?;
            writeln!(out, "    node [fontname=\"Helvetica\"];")?;
            for (id, package) in graph.members() {
                writeln!(
                    out,
                    "    {} [shape=box, label={}];",
                    quote(&package_node(&package.name)),
                    quote(&package.name)
                )?;
                for bin in package.bins() {
                    let node = bin_node(&package.name, &bin.name);
                    writeln!(
                        out,
                        "    {} [shape=ellipse, style=filled, fillcolor=\"#e8f0fe\", label={}];",
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
            for (spawner, spawned) in
                rbee_graph_engine::rules::spawn_pairs(graph, &snapshot.config.spawns)
            {
                writeln!(
                    out,
                    "    {} -> {} [style=bold, color=\"#d93025\", label=\"spawns\"];",
                    quote(&bin_node(&spawner.package, &spawner.name)),
                    quote(&bin_node(&spawned.package, &spawned.name))
                )?;
            }
            writeln!(out, "}}")?;
        }
    }
    Ok(())
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
struct StatusJson<'a> {
    schema: u32,
    binaries: Vec<StatusBinaryJson<'a>>,
}

#[derive(Serialize)]
struct StatusBinaryJson<'a> {
    name: &'a str,
    package: &'a str,
    profile: &'a str,
    fresh: bool,
    reasons: Vec<ReasonJson<'a>>,
    recorded_commit: Option<&'a str>,
}

pub fn status(
    out: &mut impl Write,
    profile: &Profile,
    verdicts: &[Verdict],
    format: StatusFormat,
) -> anyhow::Result<()> {
    match format {
        StatusFormat::Json => {
            let reasons: Vec<Vec<Reason>> = verdicts
                .iter()
                .map(|v| v.reasons.iter().map(|r| r.to_reason()).collect())
                .collect();
            let binaries = verdicts
                .iter()
                .zip(&reasons)
                .map(|(v, reasons)| StatusBinaryJson {
                    name: &v.binary.name,
                    package: &v.binary.package,
                    profile: profile.name(),
                    fresh: v.is_fresh(),
                    reasons: reasons.iter().map(reason_json).collect(),
                    recorded_commit: v.record.as_ref().map(|r| r.commit.as_str()),
                })
                .collect();
            serde_json::to_writer_pretty(
                &mut *out,
                &StatusJson {
                    schema: SCHEMA,
                    binaries,
                },
            )?;
            writeln!(out)?;
        }
        StatusFormat::Text => {
            let labels: Vec<String> = verdicts
                .iter()
                .map(|v| label(&v.binary.name, &v.binary.package))
                .collect();
            let width = labels.iter().map(String::len).max().unwrap_or(0);
            for (verdict, label) in verdicts.iter().zip(&labels) {
                match verdict.reasons.first() {
                    None => {
                        let commit = verdict.record.as_ref().map_or("", |r| r.commit.as_str());
                        let short = commit.get(..10).unwrap_or(commit);
                        writeln!(out, "{label:width$}  fresh  (built from {short})")?;
                    }
                    Some(reason) => {
                        let more = verdict.reasons.len() - 1;
                        let more = if more > 0 {
                            format!(" (+{more} more)")
                        } else {
                            String::new()
                        };
                        writeln!(out, "{label:width$}  stale  {}{more}", reason.describe())?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// What a build did, for people, on stderr (stdout stays free for `ensure`'s path).
pub fn build_summary(outcome: &BuildOutcome) {
    if outcome.built.is_empty() {
        eprintln!(
            "everything is fresh: {} binaries, nothing built",
            outcome.fresh.len()
        );
        return;
    }
    let names: Vec<&str> = outcome
        .built
        .iter()
        .map(|v| v.binary.name.as_str())
        .collect();
    eprintln!(
        "built {} ({} fresh already)",
        names.join(", "),
        outcome.fresh.len()
    );
}
