//! `rbee-graph affected`: the answer (between two revisions, or since each binary's build) as
//! text, JSON, a GitHub Actions matrix or cargo arguments; and `rbee-graph reads`.

use std::io::Write;

use rbee_graph_engine::{AffectedReport, CommitId, Head, ReadMapUse, SinceBuild};
use rbee_graph_model::Binary;
use rbee_graph_model::rules::Mode;
use serde::Serialize;

use super::SCHEMA;
use super::reasons::{self, Cause, ReasonJson};
use super::text::{self, count, label};
use crate::args::AffectedFormat;

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
pub(super) struct BinaryJson<'a> {
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
    pub(super) fn base(&self) -> Option<CommitId> {
        match self {
            Answer::Revisions(report) => report.base,
            Answer::SinceBuild(_) => None,
        }
    }

    pub(super) fn is_since_build(&self) -> bool {
        matches!(self, Answer::SinceBuild(_))
    }

    pub(super) fn head(&self) -> &Head {
        match self {
            Answer::Revisions(report) => &report.head,
            Answer::SinceBuild(_) => &Head::Worktree,
        }
    }

    pub(super) fn changed_paths(&self) -> &[String] {
        match self {
            Answer::Revisions(report) => &report.changed_paths,
            Answer::SinceBuild(since) => &since.changed_paths,
        }
    }

    pub(super) fn packages(&self) -> &[String] {
        match self {
            Answer::Revisions(report) => &report.affected.packages,
            Answer::SinceBuild(since) => &since.packages,
        }
    }

    /// The affected (or stale) binaries in build order, each with its reasons.
    pub(super) fn binaries(&self) -> Vec<(&Binary, Vec<Cause<'_>>)> {
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

    pub(super) fn read_maps(&self) -> Option<&ReadMapUse> {
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

pub(super) fn binary_json<'a>(binary: &'a Binary, reasons: &[Cause<'a>]) -> BinaryJson<'a> {
    BinaryJson {
        name: &binary.name,
        package: &binary.package,
        reasons: reasons.iter().map(|&r| ReasonJson::of(r)).collect(),
    }
}

fn affected_text(out: &mut impl Write, report: &Answer, mode: Mode) -> anyhow::Result<()> {
    let paths = count(
        report.changed_paths().len(),
        "changed path",
        "changed paths",
    );
    match report.base() {
        Some(base) => writeln!(
            out,
            "{}..{}: {paths}",
            base.short(),
            text::head(report.head())
        )?,
        None => writeln!(out, "since each binary's last build: {paths}")?,
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
    let width = text::width(binaries.iter().map(|(b, _)| label(&b.name, &b.package)));
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

/// The read maps of the records, for `affected --reads` in a later run.
pub fn reads(out: &mut impl Write, maps: &rbee_graph_engine::ReadMaps) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, maps)?;
    writeln!(out)?;
    Ok(())
}
