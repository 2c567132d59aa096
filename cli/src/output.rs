//! Rendering: every format the CLI prints. The engine never prints; this is the only place
//! that knows what the output looks like.

mod explain;
mod graph;
mod paint;
mod reasons;

use std::io::Write;

use rbee_graph_engine::{
    AffectedReport, BuildOutcome, CommitId, Head, Profile, ReadMapUse, SinceBuild, Verdict,
};
use rbee_graph_model::Binary;
use rbee_graph_model::rules::Mode;
use serde::Serialize;

use reasons::{Cause, ReasonJson};

use crate::args::{AffectedFormat, StatusFormat};

pub use explain::{explain, why};
pub use graph::graph;

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
    /// Which binaries' read maps decided for them; absent when none was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    read_maps: Option<ReadMapsJson<'a>>,
}

#[derive(Serialize)]
struct ReadMapsJson<'a> {
    trusted: Vec<PairJson<'a>>,
    untrusted: Vec<PairJson<'a>>,
}

#[derive(Serialize)]
struct PairJson<'a> {
    name: &'a str,
    package: &'a str,
}

#[derive(Serialize)]
struct BinaryJson<'a> {
    name: &'a str,
    package: &'a str,
    reasons: Vec<ReasonJson<'a>>,
}

/// An `affected` answer: between two revisions (`--base`), or since each binary's build.
pub enum Answer {
    /// `affected --base`.
    Revisions(AffectedReport),
    /// `affected` without `--base`.
    SinceBuild(SinceBuild),
}

impl Answer {
    fn base(&self) -> Option<CommitId> {
        match self {
            Answer::Revisions(report) => report.base,
            Answer::SinceBuild(_) => None,
        }
    }

    fn is_since_build(&self) -> bool {
        matches!(self, Answer::SinceBuild(_))
    }

    fn head(&self) -> &Head {
        match self {
            Answer::Revisions(report) => &report.head,
            Answer::SinceBuild(_) => &Head::Worktree,
        }
    }

    fn changed_paths(&self) -> &[String] {
        match self {
            Answer::Revisions(report) => &report.changed_paths,
            Answer::SinceBuild(since) => &since.changed_paths,
        }
    }

    fn packages(&self) -> &[String] {
        match self {
            Answer::Revisions(report) => &report.affected.packages,
            Answer::SinceBuild(since) => &since.packages,
        }
    }

    /// The affected (or stale) binaries in build order, each with its reasons.
    fn binaries(&self) -> Vec<(&Binary, Vec<Cause<'_>>)> {
        match self {
            Answer::Revisions(report) => report
                .affected
                .binaries
                .iter()
                .map(|b| (&b.binary, b.reasons.iter().map(Cause::Rule).collect()))
                .collect(),
            Answer::SinceBuild(since) => since
                .binaries
                .iter()
                .map(|v| (&v.binary, v.reasons.iter().map(Cause::of_stale).collect()))
                .collect(),
        }
    }

    fn read_maps(&self) -> Option<&ReadMapUse> {
        match self {
            Answer::Revisions(report) => report.read_maps.as_ref(),
            Answer::SinceBuild(_) => None,
        }
    }
}

pub fn affected(
    out: &mut impl Write,
    report: &Answer,
    mode: Mode,
    format: AffectedFormat,
) -> anyhow::Result<()> {
    match format {
        AffectedFormat::Json => {
            let doc = AffectedJson {
                schema: SCHEMA,
                base: report.base().map(|b| b.to_string()),
                head: match report.head() {
                    Head::Commit(id) => id.to_string(),
                    Head::Worktree => "worktree".to_owned(),
                },
                changed_paths: report.changed_paths(),
                affected_packages: report.packages(),
                affected_binaries: report
                    .binaries()
                    .into_iter()
                    .map(|(binary, reasons)| binary_json(binary, &reasons))
                    .collect(),
                read_maps: report.read_maps().map(|m| ReadMapsJson {
                    trusted: pairs(&m.trusted),
                    untrusted: pairs(&m.untrusted),
                }),
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        AffectedFormat::GithubMatrix => {
            let include: Vec<serde_json::Value> = match mode {
                Mode::Binaries => report
                    .binaries()
                    .into_iter()
                    .map(|(b, _)| serde_json::json!({"bin": b.name, "package": b.package}))
                    .collect(),
                Mode::Tests => report
                    .packages()
                    .iter()
                    .map(|p| serde_json::json!({"package": p}))
                    .collect(),
            };
            serde_json::to_writer(&mut *out, &serde_json::json!({ "include": include }))?;
            writeln!(out)?;
        }
        AffectedFormat::CargoArgs => {
            let args: Vec<String> = match mode {
                Mode::Binaries => report
                    .binaries()
                    .into_iter()
                    .flat_map(|(b, _)| ["-p", &b.package, "--bin", &b.name].map(str::to_owned))
                    .collect(),
                Mode::Tests => report
                    .packages()
                    .iter()
                    .flat_map(|p| ["-p".to_owned(), p.clone()])
                    .collect(),
            };
            writeln!(out, "{}", args.join(" "))?;
        }
        AffectedFormat::Text => affected_text(out, report, mode)?,
    }
    Ok(())
}

fn pairs(list: &[rbee_graph_model::Binary]) -> Vec<PairJson<'_>> {
    list.iter()
        .map(|b| PairJson {
            name: &b.name,
            package: &b.package,
        })
        .collect()
}

fn binary_json<'a>(binary: &'a Binary, reasons: &[Cause<'a>]) -> BinaryJson<'a> {
    BinaryJson {
        name: &binary.name,
        package: &binary.package,
        reasons: reasons.iter().map(|&r| ReasonJson::of(r)).collect(),
    }
}

fn affected_text(out: &mut impl Write, report: &Answer, mode: Mode) -> anyhow::Result<()> {
    let head = match report.head() {
        Head::Commit(id) => id.short(),
        Head::Worktree => "working tree".to_owned(),
    };
    let paths = report.changed_paths().len();
    let plural = if paths == 1 { "" } else { "s" };
    match report.base() {
        Some(base) => writeln!(
            out,
            "{}..{head}: {paths} changed path{plural}",
            base.short()
        )?,
        None => writeln!(
            out,
            "since each binary's last build: {paths} changed path{plural}"
        )?,
    }
    if mode == Mode::Tests {
        if report.packages().is_empty() {
            writeln!(out, "no package's tests are affected")?;
        }
        for package in report.packages() {
            writeln!(out, "test {package}")?;
        }
        return Ok(());
    }
    if !report.is_since_build() {
        match report.read_maps() {
            None => writeln!(
                out,
                "no read maps (build with rbee-graph first, or pass --reads FILE): paths outside \
                 every package count for every binary"
            )?,
            Some(maps) if !maps.untrusted.is_empty() => {
                let names: Vec<&str> = maps.untrusted.iter().map(|b| b.name.as_str()).collect();
                writeln!(
                    out,
                    "read maps older than a change in their scope, rules only: {}",
                    names.join(", ")
                )?
            }
            Some(_) => {}
        }
    }
    let binaries = report.binaries();
    if binaries.is_empty() {
        writeln!(out, "no binaries affected")?;
    }
    let width = binaries
        .iter()
        .map(|(b, _)| label(&b.name, &b.package).len())
        .max()
        .unwrap_or(0);
    for (binary, causes) in &binaries {
        let reason = causes
            .first()
            .map(|&r| reasons::describe(r))
            .unwrap_or_default();
        writeln!(
            out,
            "{:width$}  {reason}",
            label(&binary.name, &binary.package)
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
    /// The features cargo enabled for its package at the recorded build.
    #[serde(skip_serializing_if = "Option::is_none")]
    features: Option<&'a [String]>,
    /// Why this machine cannot build it (the `requires` configuration); absent when it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    unbuildable: Option<String>,
}

pub fn status(
    out: &mut impl Write,
    profile: &Profile,
    verdicts: &[Verdict],
    format: StatusFormat,
) -> anyhow::Result<()> {
    match format {
        StatusFormat::Json => {
            let binaries = verdicts
                .iter()
                .map(|v| StatusBinaryJson {
                    name: &v.binary.name,
                    package: &v.binary.package,
                    profile: profile.name(),
                    fresh: v.is_fresh(),
                    reasons: v
                        .reasons
                        .iter()
                        .map(|r| ReasonJson::of(Cause::of_stale(r)))
                        .collect(),
                    recorded_commit: v.record.as_ref().map(|r| r.commit.as_str()),
                    features: v.record.as_ref().map(|r| r.features.as_slice()),
                    unbuildable: v.unbuildable.as_ref().map(reasons::unbuildable),
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
                if let Some(why) = &verdict.unbuildable {
                    writeln!(
                        out,
                        "{label:width$}  skip   cannot be built here: {}",
                        reasons::unbuildable(why)
                    )?;
                    continue;
                }
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
                        writeln!(
                            out,
                            "{label:width$}  stale  {}{more}",
                            reasons::describe_stale(reason)
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// One line on stderr per thing watch mode did (stdout belongs to the daemons).
pub fn watch_event(event: rbee_graph_engine::WatchEvent) {
    use rbee_graph_engine::WatchEvent;
    match event {
        WatchEvent::Started { binary, pid } => {
            eprintln!("watch: started {} (pid {pid})", binary.name)
        }
        WatchEvent::Rebuilding { stale } => {
            for (binary, why) in stale {
                let why = why.first().map(reasons::describe_stale);
                eprintln!(
                    "watch: {} is stale: {}",
                    binary.name,
                    why.unwrap_or_default()
                );
            }
        }
        WatchEvent::Restarted {
            binary,
            old_pid,
            pid,
        } => {
            eprintln!("watch: restarted {} (pid {old_pid} -> {pid})", binary.name)
        }
        WatchEvent::BuildFailed { error } => {
            eprintln!("watch: build failed, the daemons keep running: {error}")
        }
        WatchEvent::Exited { binary, code } => match code {
            Some(code) => eprintln!("watch: {} exited with status {code}", binary.name),
            None => eprintln!("watch: {} was killed by a signal", binary.name),
        },
    }
}

#[derive(Serialize)]
struct BuildJson<'a> {
    schema: u32,
    built: Vec<ExecutableJson<'a>>,
    fresh: Vec<ExecutableJson<'a>>,
    skipped: Vec<SkippedJson<'a>>,
}

#[derive(Serialize)]
struct ExecutableJson<'a> {
    name: &'a str,
    package: &'a str,
    executable: Option<&'a std::path::Path>,
}

#[derive(Serialize)]
struct SkippedJson<'a> {
    name: &'a str,
    package: &'a str,
    unbuildable: String,
}

/// What a build did, as JSON on stdout.
/// The doctor's findings, for people: counts, groups with their evidence, and a snippet to
/// paste.
pub fn doctor(
    out: &mut impl Write,
    report: &rbee_graph_engine::DoctorReport,
) -> anyhow::Result<()> {
    let share = |n: usize| {
        (n * 100 + report.commits / 2)
            .checked_div(report.commits)
            .unwrap_or(0)
    };
    writeln!(
        out,
        "last {} commits: {} ({}%) affect every binary",
        report.commits,
        report.everything,
        share(report.everything)
    )?;
    if !report.per_binary.is_empty() {
        writeln!(
            out,
            "
commits affecting each binary:"
        )?;
        let width = report
            .per_binary
            .keys()
            .map(|b| label(&b.name, &b.package).len())
            .max()
            .unwrap_or(0);
        for (binary, n) in &report.per_binary {
            let name = label(&binary.name, &binary.package);
            writeln!(out, "  {name:width$}  {n}")?;
        }
    }
    if report.groups.is_empty() {
        writeln!(
            out,
            "
no path outside every package widened an answer"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "
paths that made commits affect every binary:"
    )?;
    let width = report
        .groups
        .iter()
        .map(|g| g.glob.len())
        .max()
        .unwrap_or(0);
    for group in &report.groups {
        let evidence = if group.global {
            "read by every build (toolchain, cargo configuration, workspace manifest)".to_owned()
        } else if group.rust {
            "Rust sources outside the workspace's packages (a package moved or removed since, or not a member)".to_owned()
        } else {
            match &group.readers {
                None => "no read maps to check against (build with rbee-graph first)".to_owned(),
                Some(r) if r.is_empty() => "no recorded build read a file under it".to_owned(),
                Some(r) => format!(
                    "read by the builds of {}",
                    r.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            }
        };
        let commits = if group.commits == 1 {
            "commit"
        } else {
            "commits"
        };
        writeln!(
            out,
            "  {:width$}  {:>3} {commits:7}  {evidence}",
            group.glob, group.commits
        )?;
    }
    if report.ignore.is_empty() && report.owners.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "
with this added to the root Cargo.toml, {} of the {} commits ({}%) would affect every binary:
",
        report.everything_after,
        report.commits,
        share(report.everything_after)
    )?;
    writeln!(out, "[workspace.metadata.rbee-graph]")?;
    if !report.ignore.is_empty() {
        let list: Vec<String> = report.ignore.iter().map(|g| format!("{g:?}")).collect();
        writeln!(out, "ignore = [{}]", list.join(", "))?;
    }
    if !report.owners.is_empty() {
        let entries: Vec<String> = report
            .owners
            .iter()
            .map(|(glob, packages)| {
                let list: Vec<String> = packages.iter().map(|p| format!("{p:?}")).collect();
                format!("{glob:?} = [{}]", list.join(", "))
            })
            .collect();
        writeln!(out, "owners = {{ {} }}", entries.join(", "))?;
    }
    if !report.read_maps {
        writeln!(
            out,
            "
(no read maps: the `ignore` globs are unverified; run `rbee-graph build` and look \
             again to check them against what the builds read)"
        )?;
    }
    Ok(())
}

/// The doctor's findings as JSON (schema 1).
pub fn doctor_json(
    out: &mut impl Write,
    report: &rbee_graph_engine::DoctorReport,
) -> anyhow::Result<()> {
    let per_binary: Vec<serde_json::Value> = report
        .per_binary
        .iter()
        .map(|(b, n)| serde_json::json!({"name": b.name, "package": b.package, "commits": n}))
        .collect();
    let groups: Vec<serde_json::Value> = report
        .groups
        .iter()
        .map(|g| {
            serde_json::json!({
                "glob": g.glob,
                "commits": g.commits,
                "global": g.global,
                "rust_sources": g.rust,
                "readers": g.readers,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "schema": SCHEMA,
        "commits": report.commits,
        "everything": report.everything,
        "everything_after": report.everything_after,
        "read_maps": report.read_maps,
        "per_binary": per_binary,
        "groups": groups,
        "suggested": {"ignore": report.ignore, "owners": report.owners},
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

/// The read maps of the records, for `affected --reads` in a later run.
pub fn reads(out: &mut impl Write, maps: &rbee_graph_engine::ReadMaps) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, maps)?;
    writeln!(out)?;
    Ok(())
}

pub fn build_json(out: &mut impl Write, outcome: &BuildOutcome) -> anyhow::Result<()> {
    let executable = |b: &'_ rbee_graph_model::Binary| {
        outcome.executables.get(b).map(std::path::PathBuf::as_path)
    };
    let json = BuildJson {
        schema: SCHEMA,
        built: outcome
            .built
            .iter()
            .map(|v| ExecutableJson {
                name: &v.binary.name,
                package: &v.binary.package,
                executable: executable(&v.binary),
            })
            .collect(),
        fresh: outcome
            .fresh
            .iter()
            .map(|b| ExecutableJson {
                name: &b.name,
                package: &b.package,
                executable: executable(b),
            })
            .collect(),
        skipped: outcome
            .skipped
            .iter()
            .map(|(b, why)| SkippedJson {
                name: &b.name,
                package: &b.package,
                unbuildable: reasons::unbuildable(why),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)?;
    Ok(())
}

/// `ensure`'s answer as JSON on stdout.
pub fn ensure_json(
    out: &mut impl Write,
    binary: &str,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(
        &mut *out,
        &serde_json::json!({ "schema": SCHEMA, "binary": binary, "executable": path }),
    )?;
    writeln!(out)?;
    Ok(())
}

/// What a build did, for people, on stderr (stdout stays free for `ensure`'s path).
pub fn build_summary(outcome: &BuildOutcome) {
    for (binary, why) in &outcome.skipped {
        eprintln!(
            "skipped {}: cannot be built here: {}",
            binary.name,
            reasons::unbuildable(why)
        );
    }
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
    for verdict in &outcome.built {
        if let Some(first) = verdict.reasons.first() {
            eprintln!(
                "  {}: {}",
                verdict.binary.name,
                reasons::describe_stale(first)
            );
        }
    }
}
