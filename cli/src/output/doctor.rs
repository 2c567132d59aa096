//! `rbee-graph doctor`: the paths that make commits affect every binary, with their evidence
//! and a configuration snippet, as text or JSON.

use std::io::Write;

use rbee_graph_engine::DoctorReport;

use super::SCHEMA;
use super::text::{self, label};

/// The doctor's findings, for people: counts, groups with their evidence, and a snippet to
/// paste.
pub fn doctor(out: &mut impl Write, report: &DoctorReport) -> anyhow::Result<()> {
    widening(out, report)?;
    fixtures(out, report)
}

/// Directories that look like run-time test fixtures, and how to map them.
fn fixtures(out: &mut impl Write, report: &DoctorReport) -> anyhow::Result<()> {
    let unmapped: Vec<_> = report.fixtures.iter().filter(|f| !f.mapped).collect();
    if unmapped.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\ndirectories that look like test fixtures (tests may read them at run time, which no \
         dep-info records):"
    )?;
    let width = text::width(unmapped.iter().map(|f| f.glob.clone()));
    for fixture in &unmapped {
        let whose = match &fixture.package {
            Some(package) => format!("in package {package}, whose own tests count for it"),
            None => "outside every package".to_owned(),
        };
        let read = match &fixture.readers {
            None => String::new(),
            Some(r) if r.is_empty() => "; no recorded build read it".to_owned(),
            Some(r) => format!(
                "; read by the builds of {}",
                r.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        };
        writeln!(
            out,
            "  {:width$}  {}  {whose}{read}",
            fixture.glob,
            text::count(fixture.commits, "commit", "commits"),
        )?;
    }
    let example = &unmapped[0].glob;
    writeln!(
        out,
        "if other packages' tests read one, map it for `affected --tests`, for example:\n\
         test-owners = {{ {example:?} = [\"PACKAGE\"] }}"
    )?;
    Ok(())
}

/// The paths that widened answers, with their evidence, and the snippet that would stop them.
fn widening(out: &mut impl Write, report: &DoctorReport) -> anyhow::Result<()> {
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
        let width = text::width(report.per_binary.keys().map(|b| label(&b.name, &b.package)));
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
    let width = text::width(report.groups.iter().map(|g| g.glob.clone()));
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
pub fn doctor_json(out: &mut impl Write, report: &DoctorReport) -> anyhow::Result<()> {
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
    let fixtures: Vec<serde_json::Value> = report
        .fixtures
        .iter()
        .map(|f| {
            serde_json::json!({
                "glob": f.glob,
                "commits": f.commits,
                "package": f.package,
                "readers": f.readers,
                "mapped": f.mapped,
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
        "fixtures": fixtures,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
