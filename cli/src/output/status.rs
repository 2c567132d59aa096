//! `rbee-graph status`: every binary with its verdict, as aligned text or JSON.

use std::io::Write;

use rbee_graph_engine::{Profile, Verdict};
use serde::Serialize;

use super::SCHEMA;
use super::reasons::{self, Cause, ReasonJson};
use super::text::{self, label};
use crate::args::StatusFormat;

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
            let width = text::width(labels.iter().cloned());
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
