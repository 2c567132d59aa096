//! `rbee-graph build` and `ensure`: what a build did, for people on stderr (stdout stays
//! free for `ensure`'s path) or as JSON on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

use rbee_graph_engine::BuildOutcome;
use rbee_graph_model::Binary;
use serde::Serialize;

use super::SCHEMA;
use super::reasons;
use super::text::count;

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
    executable: Option<&'a Path>,
}

#[derive(Serialize)]
struct SkippedJson<'a> {
    name: &'a str,
    package: &'a str,
    unbuildable: String,
}

/// What a build did, as JSON on stdout.
pub fn build_json(out: &mut impl Write, outcome: &BuildOutcome) -> anyhow::Result<()> {
    let executable = |b: &Binary| outcome.executables.get(b).map(PathBuf::as_path);
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
pub fn ensure_json(out: &mut impl Write, binary: &str, path: &Path) -> anyhow::Result<()> {
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
            "everything is fresh: {}, nothing built",
            count(outcome.fresh.len(), "binary", "binaries")
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
