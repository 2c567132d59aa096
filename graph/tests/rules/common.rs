//! The shared `check`: a fixture's committed metadata and lock file, a change, the rules, and
//! the answer rendered as text.
//!
//! The rendering, in build order:
//!
//! ```text
//! packages: narration-core daemon-lifecycle rbee-keeper
//! rbee-keeper: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-keeper
//! hive-check (rbee-hive): path bin/rbee-hive/src/bin/hive-check.rs
//! ```
//!
//! The first line lists the affected packages (left out when there are none); then one line
//! per affected binary, `name` (with its package in brackets when the names differ) and every
//! reason, most direct first, separated by `; `: `path P`, `dependency P via CHAIN`,
//! `lockfile CRATE via CHAIN`, `global P`, `unowned P`, `read P`. What the rendering leaves
//! out is asserted for every answer instead: a `path` reason names the binary's package, a
//! chain runs from the changed package (or crate) to the binary's, a lock reason names the
//! workspace's lock file. An empty answer renders as the empty string.

#![allow(dead_code)] // Not every file uses every fixture and helper.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use cargo_metadata::Metadata;

use rbee_graph_model::path::join;
use rbee_graph_model::rules::{self, Change, Config, Mode, PathRules, Reason, TrustedReads};
use rbee_graph_model::{Binary, LockKey, Lockfile, WorkspaceGraph};

/// Where the committed metadata puts the fixture (`testdata/tests/metadata.rs`).
const FAKE_ROOT: &str = "/repo";

/// A fixture workspace as its committed files describe it.
pub struct Fixture {
    /// `cargo metadata --format-version 1 --no-deps`, rooted at [`FAKE_ROOT`].
    pub metadata: &'static str,
    /// Its `Cargo.lock`.
    pub lock: &'static str,
    /// Manifests of path packages that are no members (workspace-relative path, text): cargo
    /// does not describe them, the engine reads them from the disk.
    pub manifests: &'static [(&'static str, &'static str)],
}

macro_rules! fixture {
    ($name:literal $(, $manifest:literal)*) => {
        Fixture {
            metadata: include_str!(concat!("../../../testdata/metadata/", $name, ".json")),
            lock: include_str!(concat!("../../../testdata/repos/", $name, "/Cargo.lock")),
            manifests: &[$((
                $manifest,
                include_str!(concat!("../../../testdata/repos/", $name, "/", $manifest)),
            )),*],
        }
    };
}

/// `testdata/repos/rbee` (see `testdata/src/lib.rs`).
pub const RBEE: Fixture = fixture!("rbee");
/// `testdata/repos/root-package`.
pub const ROOT_PACKAGE: Fixture = fixture!("root-package");
/// `testdata/repos/same-names`.
pub const SAME_NAMES: Fixture = fixture!("same-names");
/// `testdata/repos/rg-layout`, laid out like ripgrep.
pub const RG: Fixture = fixture!("rg-layout");
/// `testdata/repos/tk-layout`, laid out like tokio, with two path packages that are no members.
pub const TK: Fixture = fixture!(
    "tk-layout",
    "crates/legacy-shim/Cargo.toml",
    "vendor/shim-sys/Cargo.toml"
);
/// `testdata/repos/nu-layout`, laid out like nushell.
pub const NU: Fixture = fixture!("nu-layout");

/// What changed, and how to ask. Paths are repository-relative.
pub struct Case<'a> {
    /// The workspace (rbee unless said otherwise).
    pub fixture: &'a Fixture,
    /// Where the workspace lies in the repository: `None` at its root, else this directory.
    pub subdir: Option<&'a str>,
    /// The changed paths.
    pub paths: &'a [&'a str],
    /// Changed lock entries, by crate name (looked up in the fixture's lock file).
    pub lock_entries: &'a [&'a str],
    /// The lock file at the head, when it differs from the fixture's: the changed entries are
    /// then what [`Lockfile::changed_entries`] finds between the two, and, as the engine does,
    /// the base is the head's metadata with the fixture's lock (an entry only the base has
    /// reaches the packages through it).
    pub head_lock: Option<String>,
    /// Which question.
    pub mode: Mode,
    /// Merged into the fixture's `[workspace.metadata.rbee-graph]`.
    pub config: Option<serde_json::Value>,
    /// Read maps.
    pub reads: Option<TrustedReads>,
    /// What each package's units read (`--tests`), by package.
    pub test_reads: Option<std::collections::BTreeMap<String, std::collections::BTreeSet<String>>>,
}

impl Default for Case<'_> {
    fn default() -> Self {
        Case {
            fixture: &RBEE,
            subdir: None,
            paths: &[],
            lock_entries: &[],
            head_lock: None,
            mode: Mode::Binaries,
            config: None,
            reads: None,
            test_reads: None,
        }
    }
}

/// The fixture's metadata, with its root moved to `/repo/<subdir>` when the workspace lies in
/// a subdirectory. Parsed once per fixture and directory: most of a case's time otherwise.
fn metadata(case: &Case<'_>) -> Arc<Metadata> {
    type Cache = Mutex<HashMap<(usize, Option<String>), Arc<Metadata>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (
        case.fixture.metadata.as_ptr() as usize,
        case.subdir.map(str::to_owned),
    );
    let mut cache = CACHE
        .get_or_init(Cache::default)
        .lock()
        .expect("no test panics here");
    let parsed = cache.entry(key).or_insert_with(|| {
        let mut json: serde_json::Value =
            serde_json::from_str(case.fixture.metadata).expect("committed metadata is JSON");
        if let Some(subdir) = case.subdir {
            move_root(&mut json, &format!("{FAKE_ROOT}/{subdir}"));
        }
        Arc::new(serde_json::from_value(json).expect("cargo metadata's format"))
    });
    Arc::clone(parsed)
}

/// The fixture's configuration with the case's merged into its
/// `[workspace.metadata.rbee-graph]`.
fn config(case: &Case<'_>, metadata: &Metadata) -> Config {
    let mut table = metadata.workspace_metadata.clone();
    if let Some(extra) = &case.config {
        let settings = &mut table["rbee-graph"];
        if settings.is_null() {
            *settings = serde_json::json!({});
        }
        for (key, value) in extra.as_object().expect("a table of settings") {
            settings[key] = value.clone();
        }
    }
    Config::from_workspace_metadata(&table).expect("configuration")
}

/// Rewrites every path under [`FAKE_ROOT`] (and package id `path+file:///repo...`) to `root`.
fn move_root(value: &mut serde_json::Value, root: &str) {
    match value {
        serde_json::Value::String(s) => {
            for prefix in ["", "path+file://"] {
                let from = format!("{prefix}{FAKE_ROOT}");
                if let Some(rest) = s.strip_prefix(&from)
                    && (rest.is_empty() || rest.starts_with(['/', '#']))
                {
                    *s = format!("{prefix}{root}{rest}");
                    break;
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| move_root(v, root)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| move_root(v, root)),
        _ => {}
    }
}

/// The graph of `metadata` with `lock`, non-member path manifests read from the fixture.
fn graph(case: &Case<'_>, metadata: &Metadata, lock: Option<&Lockfile>) -> WorkspaceGraph {
    let workspace = metadata.workspace_root.as_std_path().to_owned();
    let read = |path: &Path| {
        let rel = path.strip_prefix(&workspace).ok()?;
        let found = case
            .fixture
            .manifests
            .iter()
            .find(|(p, _)| rel == Path::new(p));
        Some(found?.1.to_owned())
    };
    WorkspaceGraph::from_metadata_reading(metadata, lock, Path::new(FAKE_ROOT), &read)
        .expect("the fixture's graph")
}

/// The workspace's configuration and graph for `case`, as `why` and config tests need them.
pub fn workspace(case: &Case<'_>) -> (WorkspaceGraph, Config, PathRules) {
    let metadata = metadata(case);
    let config = config(case, &metadata);
    let lock = Lockfile::parse(case.fixture.lock).expect("the fixture's lock file");
    let graph = graph(case, &metadata, Some(&lock));
    let rules = PathRules::new(graph.workspace_root(), &config)
        .expect("path rules")
        .ignoring_outputs(Some(join(graph.workspace_root(), "target")));
    (graph, config, rules)
}

/// Applies the rules to `case` and compares the rendered answer with `expect` (leading and
/// trailing blank space ignored). On a mismatch the whole answer is printed.
pub fn check(case: Case<'_>, expect: &str) {
    let actual = answer(&case);
    // The engine caches graphs in their stored form: a loaded one must answer alike.
    let stored = answer_with(&case, &|graph| {
        let json = serde_json::to_string(&graph).expect("a graph serializes");
        serde_json::from_str(&json).expect("a stored graph loads")
    });
    assert_eq!(
        stored, actual,
        "the stored graph answers otherwise than the built one"
    );
    assert_eq!(
        actual.trim(),
        expect.trim(),
        "\nchanged: {:?} {:?}\n--- actual ---\n{actual}\n",
        case.paths,
        case.lock_entries
    );
}

/// The rendered answer for `case`.
pub fn answer(case: &Case<'_>) -> String {
    answer_with(case, &|graph| graph)
}

/// The rendered answer for `case`, with every graph passed through `load` first.
fn answer_with(case: &Case<'_>, load: &dyn Fn(WorkspaceGraph) -> WorkspaceGraph) -> String {
    let graph = |case: &Case<'_>, metadata: &Metadata, lock: Option<&Lockfile>| {
        load(graph(case, metadata, lock))
    };
    let metadata = metadata(case);
    let config = config(case, &metadata);
    let fixture_lock = Lockfile::parse(case.fixture.lock).expect("the fixture's lock file");
    let head_lock = case
        .head_lock
        .as_deref()
        .map(|text| Lockfile::parse(text).expect("the head's lock file"));
    let head = graph(
        case,
        &metadata,
        Some(head_lock.as_ref().unwrap_or(&fixture_lock)),
    );
    let mut lock_entries: BTreeSet<LockKey> = case
        .lock_entries
        .iter()
        .map(|name| {
            let entry = fixture_lock.entries().find(|e| e.key.name == *name);
            entry
                .unwrap_or_else(|| panic!("no lock entry {name}"))
                .key
                .clone()
        })
        .collect();
    let mut base = None;
    if let Some(head_lock) = &head_lock {
        let changed = Lockfile::changed_entries(Some(&fixture_lock), Some(head_lock));
        if !changed.is_empty() {
            base = Some(graph(case, &metadata, Some(&fixture_lock)));
        }
        lock_entries.extend(changed);
    }
    let root = head.workspace_root().to_owned();
    let rules = PathRules::new(&root, &config)
        .expect("path rules")
        .ignoring_outputs(Some(join(&root, "target")));
    let paths: BTreeSet<String> = case.paths.iter().map(|p| p.to_string()).collect();
    let lock_path = join(&root, "Cargo.lock");
    let change = Change {
        head: &head,
        base: base.as_ref(),
        paths: &paths,
        lock_entries: &lock_entries,
        lock_path: &lock_path,
        spawns: &config.spawns,
        reads: case.reads.as_ref(),
        test_reads: case.test_reads.as_ref(),
        declarations: None,
    };
    let affected = rules::affected(&rules, &change, case.mode).expect("the rules answer");
    for binary in &affected.binaries {
        assert!(
            !binary.reasons.is_empty(),
            "{:?} without a reason",
            binary.binary
        );
        for reason in &binary.reasons {
            assert_well_formed(reason, &binary.binary, &lock_path);
        }
    }
    render(&affected)
}

/// What every reason must satisfy, beyond what the rendering shows.
fn assert_well_formed(reason: &Reason, binary: &Binary, lock_path: &str) {
    let chain = reason.chain();
    match reason {
        Reason::Path { package, .. } => assert_eq!(package, &binary.package, "{reason:?}"),
        Reason::Dependency { package, .. } => {
            assert!(chain.len() >= 2, "{reason:?}");
            assert_eq!(chain.first(), Some(package), "{reason:?}");
        }
        Reason::Lockfile { path, krate, .. } => {
            assert_eq!(path, lock_path, "{reason:?}");
            assert!(chain.len() >= 2, "{reason:?}");
            assert_eq!(chain.first(), krate.as_ref(), "{reason:?}");
        }
        _ => assert!(chain.is_empty(), "{reason:?}"),
    }
    if !chain.is_empty() {
        assert_eq!(chain.last(), Some(&binary.package), "{reason:?}");
    }
}

fn render(affected: &rules::Affected) -> String {
    let mut lines = Vec::new();
    if !affected.packages.is_empty() {
        lines.push(format!("packages: {}", affected.packages.join(" ")));
    }
    for b in &affected.binaries {
        let name = if b.binary.name == b.binary.package {
            b.binary.name.clone()
        } else {
            format!("{} ({})", b.binary.name, b.binary.package)
        };
        let reasons: Vec<String> = b.reasons.iter().map(line).collect();
        lines.push(format!("{name}: {}", reasons.join("; ")));
    }
    lines.join("\n")
}

fn line(reason: &Reason) -> String {
    let via = |chain: &[String]| format!(" via {}", chain.join(" -> "));
    match reason {
        Reason::Path { path, .. } => format!("path {path}"),
        Reason::Dependency { path, chain, .. } => format!("dependency {path}{}", via(chain)),
        Reason::Lockfile { krate, chain, .. } => {
            format!("lockfile {}{}", krate.as_deref().unwrap_or("?"), via(chain))
        }
        Reason::Global { path } => format!("global {path}"),
        Reason::Unowned { path } => format!("unowned {path}"),
        Reason::Read { path } => format!("read {path}"),
        Reason::UnknownBase { base } => format!("unknown-base {base}"),
    }
}

/// `lock` with the entry `name` at `version` and another checksum, as `cargo update -p NAME
/// --precise VERSION` would write it.
pub fn bump(lock: &str, name: &str, version: &str) -> String {
    let mut out = String::new();
    let mut in_entry = false;
    let mut found = false;
    for line in lock.lines() {
        if line.starts_with("name = ") {
            in_entry = line == format!("name = \"{name}\"");
            found |= in_entry;
        }
        if in_entry && line.starts_with("version = ") {
            assert_ne!(
                line,
                format!("version = \"{version}\""),
                "{name} is already {version}"
            );
            out.push_str(&format!("version = \"{version}\"\n"));
        } else if in_entry && line.starts_with("checksum = ") {
            out.push_str(&format!(
                "checksum = \"{}\"\n",
                "0123456789abcdef".repeat(4)
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(found, "no lock entry {name}");
    out
}
