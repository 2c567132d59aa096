//! Reasons for people and for scripts: why a binary is affected (a path rule) or stale (what
//! its record says), rendered as one line of English or as the JSON `reasons` entries.
//!
//! The engine hands over typed reasons; this is the only place that words them.

use rbee_graph_engine::{FeatureRequest, StaleReason, Unbuildable};
use rbee_graph_model::rules::{Reason, ReasonKind};
use serde::Serialize;

/// One reason, from either mode: a change the path rules map onto the binary, or what its
/// build record says (which may itself be a changed input).
#[derive(Clone, Copy, Debug)]
pub(super) enum Cause<'a> {
    /// A change, through a path rule.
    Rule(&'a Reason),
    /// What the record says, other than a changed input.
    Record(&'a StaleReason),
}

impl<'a> Cause<'a> {
    pub(super) fn of_stale(reason: &'a StaleReason) -> Cause<'a> {
        match reason {
            StaleReason::Input(rule) => Cause::Rule(rule),
            other => Cause::Record(other),
        }
    }

    /// Global and unowned paths reach every binary, not through a chain of packages.
    pub(super) fn reaches_everything(self) -> bool {
        matches!(
            self,
            Cause::Rule(r) if matches!(r.kind(), ReasonKind::Global | ReasonKind::Unowned)
        )
    }
}

/// A `reasons` entry of `affected`, `status` and `explain` JSON.
#[derive(Serialize)]
pub(super) struct ReasonJson<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<&'a str>,
    chain: &'a [String],
    /// For `record` and `unknown-base` reasons: what it is, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl<'a> ReasonJson<'a> {
    pub(super) fn of(cause: Cause<'a>) -> ReasonJson<'a> {
        match cause {
            Cause::Rule(r) => ReasonJson {
                kind: kind_name(r.kind()),
                path: r.path(),
                package: r.package(),
                chain: r.chain(),
                detail: match r {
                    Reason::UnknownBase { base } => Some(base.clone()),
                    _ => None,
                },
            },
            Cause::Record(r) => ReasonJson {
                kind: "record",
                path: None,
                package: None,
                chain: &[],
                detail: Some(describe_record(r)),
            },
        }
    }
}

fn kind_name(kind: ReasonKind) -> &'static str {
    match kind {
        ReasonKind::Path => "path",
        ReasonKind::Dependency => "dependency",
        ReasonKind::Lockfile => "lockfile",
        ReasonKind::Global => "global",
        ReasonKind::Unowned => "unowned",
        ReasonKind::Read => "read",
        ReasonKind::UnknownBase => "unknown-base",
    }
}

/// One line: what changed and how it reaches the binary.
pub(super) fn describe(cause: Cause<'_>) -> String {
    match cause {
        Cause::Rule(r) => describe_rule(r),
        Cause::Record(r) => describe_record(r),
    }
}

/// One line for a stale reason, whichever kind.
pub(super) fn describe_stale(reason: &StaleReason) -> String {
    describe(Cause::of_stale(reason))
}

fn describe_rule(reason: &Reason) -> String {
    match reason {
        Reason::Path { path, .. } => format!("{path} changed"),
        Reason::Dependency { path, chain, .. } => {
            format!("{path} changed, via {}", chain.join(" -> "))
        }
        Reason::Lockfile { path, krate, chain } => match krate {
            Some(krate) => format!("{krate} changed in {path}, via {}", chain.join(" -> ")),
            None => format!("{path} changed"),
        },
        Reason::Global { path } => format!("{path} changed (read by every build)"),
        Reason::Unowned { path } => {
            format!("{path} changed (outside every package; a build may read it)")
        }
        Reason::Read { path } => format!("{path} changed (its last build read it)"),
        Reason::UnknownBase { base } => format!("the base `{base}` cannot be compared with"),
    }
}

/// What a record says, other than a changed input.
pub(super) fn describe_record(reason: &StaleReason) -> String {
    match reason {
        StaleReason::Input(rule) => describe_rule(rule),
        StaleReason::NoRecord => "never built by rbee-graph".to_owned(),
        StaleReason::CorruptRecord(e) => format!("its build record is unreadable ({e})"),
        StaleReason::FutureRecord(v) => {
            format!("its build record has format {v}, newer than this rbee-graph understands")
        }
        StaleReason::ExecutableMissing(p) => format!("{} is missing", p.display()),
        StaleReason::ExecutableReplaced(p) => {
            format!("{} was replaced since rbee-graph built it", p.display())
        }
        StaleReason::CommitMissing(c) => {
            format!("the recorded commit {c} is not in the repository (shallow clone or gc)")
        }
        StaleReason::OtherWorkspace(root) => format!(
            "it was last built from {}, which shares the target directory",
            root.display()
        ),
        StaleReason::ToolchainChanged => "the toolchain (rustc -vV) changed".to_owned(),
        StaleReason::FeaturesChanged { then, now } => format!(
            "it was built with {}, and {} is asked for",
            features(then),
            features(now)
        ),
        StaleReason::EnvironmentChanged(var) => format!("{var} changed"),
        StaleReason::Forced => "rebuild forced".to_owned(),
    }
}

/// `--features a,b --no-default-features`, or "the default features".
fn features(request: &FeatureRequest) -> String {
    let args = request.cargo_args();
    if args.is_empty() {
        "the default features".to_owned()
    } else {
        format!("`{}`", args.join(" "))
    }
}

/// Why this machine cannot build a binary, for people.
pub(super) fn unbuildable(why: &Unbuildable) -> String {
    match why {
        Unbuildable::Os { needs, this } => {
            format!("it builds on {} only, and this is {this}", needs.join(", "))
        }
        Unbuildable::Env(var) => format!("{var} is not set"),
        Unbuildable::Program(program) => format!("`{program}` is not on PATH"),
    }
}
