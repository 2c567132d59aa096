//! `rbee-graph explain` and `rbee-graph why`, as text for people and JSON for scripts.

use std::io::Write;

use rbee_graph_engine::{Against, Explanation, Head, PathExplanation, StaleReason};
use rbee_graph_model::PathRole;
use rbee_graph_model::rules::{GlobalRule, IgnoreRule, PathClass, Reason};
use serde::Serialize;

use super::SCHEMA;
use super::affected::{BinaryJson, binary_json};
use super::paint::Paint;
use super::reasons::{self, Cause, ReasonJson};
use super::text::{self, label};
use crate::args::ExplainFormat;

#[derive(Serialize)]
struct ExplainJson<'a> {
    schema: u32,
    name: &'a str,
    package: &'a str,
    /// `record` (local mode) or `revisions` (`--base`).
    against: &'static str,
    base: Option<String>,
    head: String,
    profile: Option<&'a str>,
    recorded_commit: Option<&'a str>,
    affected: bool,
    reasons: Vec<ExplainReasonJson<'a>>,
}

#[derive(Serialize)]
struct ExplainReasonJson<'a> {
    #[serde(flatten)]
    reason: ReasonJson<'a>,
    /// For `record` reasons: what the record says, as a keyword.
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'static str>,
    /// For a changed environment: the variable.
    #[serde(skip_serializing_if = "Option::is_none")]
    variable: Option<&'a str>,
}

/// A keyword for a reason that is not a changed input.
fn cause(reason: &StaleReason) -> Option<&'static str> {
    Some(match reason {
        StaleReason::Input(_) => return None,
        StaleReason::NoRecord => "no-record",
        StaleReason::CorruptRecord(_) => "corrupt-record",
        StaleReason::FutureRecord(_) => "future-record",
        StaleReason::ExecutableMissing(_) => "executable-missing",
        StaleReason::ExecutableReplaced(_) => "executable-replaced",
        StaleReason::CommitMissing(_) => "commit-missing",
        StaleReason::OtherWorkspace(_) => "other-workspace",
        StaleReason::ToolchainChanged => "toolchain",
        StaleReason::FeaturesChanged { .. } => "features",
        StaleReason::EnvironmentChanged(_) => "environment",
        StaleReason::Forced => "forced",
    })
}

pub fn explain(
    out: &mut impl Write,
    explanation: &Explanation,
    format: ExplainFormat,
) -> anyhow::Result<()> {
    match format {
        ExplainFormat::Json => explain_json(out, explanation),
        ExplainFormat::Text => explain_text(out, explanation, Paint::stdout()),
    }
}

fn explain_json(out: &mut impl Write, e: &Explanation) -> anyhow::Result<()> {
    let (against, base, head, profile, recorded_commit) = match &e.against {
        Against::Record { profile, record } => (
            "record",
            None,
            "worktree".to_owned(),
            Some(profile.name()),
            record.as_ref().map(|r| r.commit.as_str()),
        ),
        Against::Revisions { base, head, .. } => (
            "revisions",
            Some(base.to_string()),
            head_name(head, false),
            None,
            None,
        ),
    };
    let doc = ExplainJson {
        schema: SCHEMA,
        name: &e.binary.name,
        package: &e.binary.package,
        against,
        base,
        head,
        profile,
        recorded_commit,
        affected: e.is_affected(),
        reasons: e
            .reasons
            .iter()
            .map(|stale| ExplainReasonJson {
                reason: ReasonJson::of(Cause::of_stale(stale)),
                cause: cause(stale),
                variable: match stale {
                    StaleReason::EnvironmentChanged(var) => Some(var.as_str()),
                    _ => None,
                },
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

fn head_name(head: &Head, short: bool) -> String {
    match head {
        _ if short => text::head(head),
        Head::Commit(id) => id.to_string(),
        Head::Worktree => "worktree".to_owned(),
    }
}

fn explain_text(out: &mut impl Write, e: &Explanation, paint: Paint) -> anyhow::Result<()> {
    let who = paint.bold(&label(&e.binary.name, &e.binary.package));
    let reasons = text::count(e.reasons.len(), "reason", "reasons");
    match &e.against {
        Against::Record { profile, record } => {
            let build = match record {
                Some(r) => format!(
                    "its {} build from {}",
                    profile.name(),
                    r.commit.get(..10).unwrap_or(&r.commit)
                ),
                None => format!("the {} profile", profile.name()),
            };
            if e.is_affected() {
                writeln!(out, "{who} is {} ({build}), {reasons}:", paint.red("stale"))?;
            } else {
                writeln!(
                    out,
                    "{who} is {}: nothing it reads changed since {build}",
                    paint.green("fresh")
                )?;
            }
        }
        Against::Revisions {
            base,
            head,
            changed_paths,
        } => {
            let range = format!("{}..{}", base.short(), head_name(head, true));
            let paths = if *changed_paths == 1 {
                "1 changed path".to_owned()
            } else {
                format!("{changed_paths} changed paths")
            };
            if e.is_affected() {
                writeln!(
                    out,
                    "{who} is {} by {range} ({paths}), {reasons}:",
                    paint.red("affected")
                )?;
            } else {
                writeln!(
                    out,
                    "{who} is {} by {range}: none of its {paths} reaches it",
                    paint.green("not affected")
                )?;
            }
        }
    }
    for reason in &e.reasons {
        match reason {
            StaleReason::Input(r) => input_reason(out, r, paint)?,
            other => writeln!(out, "  {}", reasons::describe_record(other))?,
        }
    }
    Ok(())
}

/// One changed input: what changed, then how it reaches the binary.
fn input_reason(out: &mut impl Write, r: &Reason, paint: Paint) -> anyhow::Result<()> {
    let via = |chain: &[String]| paint.dim(&format!("via {}", chain.join(" -> ")));
    match r {
        Reason::Path { path, package } => {
            writeln!(out, "  {} changed, in {package} itself", paint.yellow(path))?
        }
        Reason::Dependency {
            path,
            package,
            chain,
        } => {
            writeln!(out, "  {} changed, in {package}", paint.yellow(path))?;
            writeln!(out, "      {}", via(chain))?;
        }
        Reason::Lockfile {
            path,
            krate: Some(krate),
            chain,
        } => {
            writeln!(out, "  {} changed in {path}", paint.yellow(krate))?;
            writeln!(out, "      {}", via(chain))?;
        }
        Reason::Lockfile {
            path, krate: None, ..
        } => writeln!(out, "  {} changed", paint.yellow(path))?,
        Reason::Global { path } => writeln!(
            out,
            "  {} changed: every build reads it",
            paint.yellow(path)
        )?,
        Reason::Unowned { path } => writeln!(
            out,
            "  {} changed: outside every package, and a build script or include_str! may read it",
            paint.yellow(path)
        )?,
        Reason::Read { path } => writeln!(
            out,
            "  {} changed: its last build read it",
            paint.yellow(path)
        )?,
        Reason::UnknownBase { base } => {
            writeln!(out, "  the base `{base}` cannot be compared with")?
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct WhyJson<'a> {
    schema: u32,
    path: &'a str,
    /// `global`, `lockfile`, `package`, `binary`, `test-only`, `owners`, `ignored`, `unowned`.
    rule: &'static str,
    /// For `global` and `ignored`: which form of the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    glob: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    configured: Option<bool>,
    /// The owning package (rule 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<&'a str>,
    /// For `binary`: the one binary whose source it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    binary: Option<&'a str>,
    /// For `owners`: the packages it is mapped onto, and the globs that did it.
    #[serde(skip_serializing_if = "Option::is_none")]
    owners: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    globs: Option<&'a [String]>,
    /// The rule, for people.
    detail: String,
    affected_packages: &'a [String],
    affected_binaries: Vec<BinaryJson<'a>>,
}

pub fn why(
    out: &mut impl Write,
    answer: &PathExplanation,
    format: ExplainFormat,
) -> anyhow::Result<()> {
    match format {
        ExplainFormat::Json => why_json(out, answer),
        ExplainFormat::Text => why_text(out, answer, Paint::stdout()),
    }
}

fn why_json(out: &mut impl Write, a: &PathExplanation) -> anyhow::Result<()> {
    let mut doc = WhyJson {
        schema: SCHEMA,
        path: &a.path,
        rule: "unowned",
        by: None,
        glob: None,
        configured: None,
        package: None,
        binary: None,
        owners: None,
        globs: None,
        detail: rule_text(&a.class),
        affected_packages: &a.affected.packages,
        affected_binaries: a
            .affected
            .binaries
            .iter()
            .map(|b| {
                let causes: Vec<Cause<'_>> = b.reasons.iter().map(Cause::Rule).collect();
                binary_json(&b.binary, &causes)
            })
            .collect(),
    };
    match &a.class {
        PathClass::Global(rule) => {
            doc.rule = "global";
            match rule {
                GlobalRule::WorkspaceFile => doc.by = Some("workspace-file"),
                GlobalRule::AboveWorkspace => doc.by = Some("above-workspace"),
                GlobalRule::Glob(glob) => {
                    doc.by = Some("glob");
                    doc.glob = Some(glob);
                    doc.configured = Some(true);
                }
            }
        }
        PathClass::LockFile => doc.rule = "lockfile",
        PathClass::Package { package, role } => {
            doc.package = Some(package);
            match role {
                PathRole::Package => doc.rule = "package",
                PathRole::Binary(name) => {
                    doc.rule = "binary";
                    doc.binary = Some(name);
                }
                PathRole::TestOnly => doc.rule = "test-only",
            }
        }
        PathClass::Owners { packages, globs } => {
            doc.rule = "owners";
            doc.owners = Some(packages);
            doc.globs = Some(globs);
        }
        PathClass::Ignored(rule) => {
            doc.rule = "ignored";
            match rule {
                IgnoreRule::BuildOutput => doc.by = Some("build-output"),
                IgnoreRule::OutsideWorkspace => doc.by = Some("outside-workspace"),
                IgnoreRule::Glob {
                    pattern,
                    configured,
                } => {
                    doc.by = Some("glob");
                    doc.glob = Some(pattern);
                    doc.configured = Some(*configured);
                }
                IgnoreRule::OutsidePackages(pattern) => {
                    doc.by = Some("markdown-outside-packages");
                    doc.glob = Some(pattern);
                    doc.configured = Some(false);
                }
            }
        }
        PathClass::Unowned => doc.rule = "unowned",
    }
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

/// The rule that classifies a path, in one sentence.
fn rule_text(class: &PathClass) -> String {
    match class {
        PathClass::Global(GlobalRule::WorkspaceFile) => {
            "global: every build reads it (workspace manifest, toolchain or cargo configuration)"
                .to_owned()
        }
        PathClass::Global(GlobalRule::AboveWorkspace) => {
            "global: a toolchain or cargo configuration file above the workspace root".to_owned()
        }
        PathClass::Global(GlobalRule::Glob(glob)) => {
            format!("global: matches the configured `global` glob `{glob}`")
        }
        PathClass::LockFile => "the lock file: each changed entry affects the packages that \
             reach that crate, nothing else (see `affected --base`)"
            .to_owned(),
        PathClass::Package {
            package,
            role: PathRole::Package,
        } => format!(
            "a file of package `{package}`: its binaries and those of every package that \
             depends on it"
        ),
        PathClass::Package {
            package,
            role: PathRole::Binary(bin),
        } => format!("the source of binary `{bin}` of package `{package}`: that binary only"),
        PathClass::Package {
            package,
            role: PathRole::TestOnly,
        } => format!(
            "test-only, in package `{package}` (tests, benches, examples): no binary; it \
             counts with `affected --tests`"
        ),
        PathClass::Owners { packages, globs } => format!(
            "outside every package, mapped onto {} by the `owners` glob{} {}",
            packages.join(", "),
            if globs.len() == 1 { "" } else { "s" },
            globs
                .iter()
                .map(|g| format!("`{g}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        PathClass::Ignored(IgnoreRule::BuildOutput) => {
            "ignored: in cargo's target directory (a build output, never an input)".to_owned()
        }
        PathClass::Ignored(IgnoreRule::OutsideWorkspace) => {
            "ignored: outside the workspace root".to_owned()
        }
        PathClass::Ignored(IgnoreRule::Glob {
            pattern,
            configured,
        }) => format!(
            "ignored: matches the {} `ignore` glob `{pattern}`",
            if *configured { "configured" } else { "default" }
        ),
        PathClass::Ignored(IgnoreRule::OutsidePackages(pattern)) => {
            format!("ignored: Markdown outside every package (`{pattern}`)")
        }
        PathClass::Unowned => "unowned: outside every package and not ignored; a build script \
             or include_str! may read it, so it counts for every binary (with dep-info, in \
             local mode, only for those that read it)"
            .to_owned(),
    }
}

fn why_text(out: &mut impl Write, a: &PathExplanation, paint: Paint) -> anyhow::Result<()> {
    writeln!(out, "{}: {}", paint.bold(&a.path), rule_text(&a.class))?;
    let binaries = &a.affected.binaries;
    if matches!(a.class, PathClass::LockFile) {
        writeln!(
            out,
            "which binaries a change affects depends on the entries that change: a bumped crate \
             affects every binary that reaches it (`rbee-graph affected --base REV` names the \
             crate and the chain)"
        )?;
        return Ok(());
    }
    if binaries.is_empty() {
        writeln!(out, "a change to it alone affects no binary")?;
        return Ok(());
    }
    writeln!(
        out,
        "a change to it affects {}, in build order:",
        text::count(binaries.len(), "binary", "binaries")
    )?;
    let labels: Vec<String> = binaries
        .iter()
        .map(|b| label(&b.binary.name, &b.binary.package))
        .collect();
    let width = text::width(labels.iter().cloned());
    for (binary, name) in binaries.iter().zip(&labels) {
        let how = match binary.reasons.first() {
            Some(r) if Cause::Rule(r).reaches_everything() => "every binary".to_owned(),
            Some(r) => r.chain().join(" -> "),
            None => String::new(),
        };
        writeln!(
            out,
            "  {}  {}",
            paint.bold(&format!("{name:width$}")),
            paint.dim(&how)
        )?;
    }
    Ok(())
}
