//! Property tests ("fuzzing") of the two parsers this crate feeds with user files: `Cargo.lock`
//! ([`Lockfile::parse`]) and `cargo metadata` output ([`WorkspaceGraph::from_metadata_json`],
//! plus the manifests of non-member path packages read by
//! [`WorkspaceGraph::from_metadata_reading`]), and the queries on whatever graph comes out.
//!
//! Inputs are random text and mutations of the rbee fixture. The properties: nothing panics,
//! every error is one line, and the few invariants the docs promise hold (lock dependencies
//! resolve to entries, `changed_entries` is symmetric, build order puts dependencies first,
//! `dependents` and `reachable` are each other's mirror).
//!
//! Deterministic: a fixed seed and no failure files, so CI sees the same cases every run.
//! `PROPTEST_CASES=10000 cargo test -p rbee-graph-model --test fuzz` runs more cases;
//! `PROPTEST_RNG_SEED=N` picks another seed.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};
use rbee_graph_model::{Binary, DepKind, LockKey, Lockfile, NodeId, WorkspaceGraph};
use serde_json::Value;

const METADATA: &str = include_str!("../../testdata/metadata/rbee.json");
const LOCK: &str = include_str!("../../testdata/repos/rbee/Cargo.lock");
/// The fixture's workspace root as recorded in `rbee.json`: a fake one, the same on every machine.
const ROOT: &str = "/repo";

/// `cases` cases (or `PROPTEST_CASES`), a fixed seed (or `PROPTEST_RNG_SEED`), no files.
fn config(cases: u32) -> ProptestConfig {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    ProptestConfig {
        cases: env("PROPTEST_CASES").map_or(cases, |n: u64| n as u32),
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(0x5eed_0005)),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn assert_one_line(error: &impl std::fmt::Display) {
    let text = error.to_string();
    assert!(!text.contains('\n'), "error spans lines: {text:?}");
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Package and crate names of the fixture, and a few that are not.
const NAMES: &[&str] = &[
    "build-info",
    "cfg-if",
    "daemon-lifecycle",
    "fastrand",
    "hive-lifecycle",
    "itoa",
    "job-server",
    "llm-worker-rbee",
    "narration-core",
    "queen-rbee",
    "rbee-hive",
    "rbee-keeper",
    "test-harness",
    "xtask",
    "",
    "ghost",
];

const REGISTRY: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(NAMES).prop_map(str::to_owned),
        1 => "[a-z_-]{1,8}",
    ]
}

fn version() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0.1.0".to_owned()),
        Just("1.0.19".to_owned()),
        Just("1.0.5".to_owned()),
        Just("2.5.0".to_owned()),
        Just(String::new()),
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[a-z0-9.]{1,5})?",
        "[ -~]{0,8}",
    ]
}

fn source() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(REGISTRY.to_owned()),
        Just("git+https://example.com/x#0123abc".to_owned()),
        Just(String::new()),
        "[ -~]{0,12}",
    ]
}

/// A dependency spec of a lock file: `name`, `name version`, `name version (source)`, and the
/// malformed shapes in between.
fn dep_spec() -> impl Strategy<Value = String> {
    prop_oneof![
        name(),
        (name(), version()).prop_map(|(n, v)| format!("{n} {v}")),
        (name(), version(), source()).prop_map(|(n, v, s)| format!("{n} {v} ({s})")),
        (name(), version()).prop_map(|(n, v)| format!("{n} {v} (")),
        (name(), version(), source()).prop_map(|(n, v, s)| format!("{n} {v} {s}")),
        Just("name 1.0 (".to_owned()),
        Just("  ".to_owned()),
        Just("itoa  1.0.19".to_owned()),
        "[a-z0-9 ().+:/-]{0,24}",
    ]
}

/// TOML-escaped contents of a basic string (so the line stays valid TOML, mostly).
fn toml_str(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One line to put into a lock file.
fn lock_line() -> impl Strategy<Value = String> {
    prop_oneof![
        dep_spec().prop_map(|s| format!("dependencies = [\"{}\"]", toml_str(&s))),
        dep_spec().prop_map(|s| format!(" \"{}\",", toml_str(&s))),
        version().prop_map(|v| format!("version = \"{}\"", toml_str(&v))),
        name().prop_map(|n| format!("name = \"{}\"", toml_str(&n))),
        source().prop_map(|s| format!("source = \"{}\"", toml_str(&s))),
        "[0-9a-f]{0,64}".prop_map(|c| format!("checksum = \"{c}\"")),
        Just("[[package]]".to_owned()),
        Just("[package]".to_owned()),
        Just("[[package]".to_owned()),
        Just("version = 3".to_owned()),
        Just("name = 1".to_owned()),
        Just("dependencies = [".to_owned()),
        Just("]".to_owned()),
        Just("dependencies = \"itoa\"".to_owned()),
        Just("[metadata]".to_owned()),
        ".{0,30}",
    ]
}

/// An edit of a text, line by line. Indices wrap around the current number of lines.
#[derive(Clone, Debug)]
enum LineEdit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Insert(usize, String),
    Replace(usize, String),
    /// Replaces the version on a `version = "..."` line (or any line) with another.
    ChangeVersion(usize, String),
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    let at = any::<usize>();
    prop_oneof![
        at.prop_map(LineEdit::Delete),
        at.prop_map(LineEdit::Duplicate),
        (at, any::<usize>()).prop_map(|(a, b)| LineEdit::Swap(a, b)),
        (at, lock_line()).prop_map(|(a, l)| LineEdit::Insert(a, l)),
        (at, lock_line()).prop_map(|(a, l)| LineEdit::Replace(a, l)),
        (at, version()).prop_map(|(a, v)| LineEdit::ChangeVersion(a, v)),
    ]
}

fn apply_line_edits(text: &str, edits: &[LineEdit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for edit in edits {
        let n = lines.len().max(1);
        match edit {
            LineEdit::Delete(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            LineEdit::Duplicate(i) if !lines.is_empty() => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            LineEdit::Swap(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            LineEdit::Insert(i, line) => lines.insert(i % (lines.len() + 1), line.clone()),
            LineEdit::Replace(i, line) if !lines.is_empty() => lines[i % n] = line.clone(),
            LineEdit::ChangeVersion(i, v) if !lines.is_empty() => {
                // The i-th `version = ` line, counting around.
                let versions: Vec<usize> = (0..lines.len())
                    .filter(|&j| lines[j].starts_with("version = \""))
                    .collect();
                if !versions.is_empty() {
                    let j = versions[i % versions.len()];
                    lines[j] = format!("version = \"{}\"", toml_str(v));
                }
            }
            _ => {}
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A lock file: the fixture's, edited.
fn mutated_lock() -> impl Strategy<Value = String> {
    prop::collection::vec(line_edit(), 0..8).prop_map(|edits| apply_line_edits(LOCK, &edits))
}

/// Any JSON value, with keys that `cargo metadata` uses now and then.
fn json_value() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "packages",
        "workspace_members",
        "workspace_default_members",
        "workspace_root",
        "target_directory",
        "resolve",
        "version",
        "metadata",
        "name",
        "id",
        "dependencies",
        "targets",
        "manifest_path",
        "path",
        "kind",
        "src_path",
        "source",
        "req",
        "features",
        "rbee-graph",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,10}".prop_map(Value::String),
        prop::sample::select(KEYS).prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        let key = prop_oneof![
            3 => prop::sample::select(KEYS).prop_map(str::to_owned),
            1 => ".{0,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Paths of every odd shape: empty, `/`, `..`, very long, non-ASCII, and real ones.
fn odd_path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("/".to_owned()),
        Just("..".to_owned()),
        Just("../x".to_owned()),
        Just(".".to_owned()),
        Just("//".to_owned()),
        Just("a//b".to_owned()),
        Just("Cargo.toml".to_owned()),
        Just("Cargo.lock".to_owned()),
        Just(format!("{}b.rs", "a/".repeat(3000))),
        Just("x".repeat(70_000)),
        Just("ä/ö/日本語.rs".to_owned()),
        Just("bin/rbee-hive/src/bin/hive-probe/ü.rs".to_owned()),
        (
            prop::sample::select(
                &[
                    "bin/llm-worker-rbee",
                    "bin/queen-rbee",
                    "bin/rbee-hive",
                    "bin/rbee-keeper",
                    "libs/narration-core",
                    "libs/build-info",
                    "libs/job-server",
                    "xtask",
                    "",
                ][..]
            ),
            prop::sample::select(
                &[
                    "",
                    "/",
                    "/src/main.rs",
                    "/src/lib.rs",
                    "/src/worker.rs",
                    "/build.rs",
                    "/src/bin/hive-check.rs",
                    "/src/bin/hive-probe/main.rs",
                    "/src/bin/hive-probe",
                    "/src/bin/",
                    "/tests/t.rs",
                    "/tests",
                    "/benches/b.rs",
                    "/examples/e.rs",
                    "/Cargo.toml",
                    "x",
                    "/../x",
                ][..]
            ),
        )
            .prop_map(|(dir, rest)| format!("{dir}{rest}")),
        "[a-z./_é日-]{0,40}",
        ".{0,20}",
    ]
}

// ---------------------------------------------------------------------------------------------
// Lock files
// ---------------------------------------------------------------------------------------------

/// What every parsed lock file must satisfy.
fn check_lock(lock: &Lockfile) {
    for entry in lock.entries() {
        for dep in &entry.dependencies {
            assert!(
                lock.get(dep).is_some(),
                "`{}` depends on {dep:?}, which has no entry",
                entry.key.name
            );
        }
    }
    assert!(Lockfile::changed_entries(Some(lock), Some(lock)).is_empty());
    let externals: BTreeSet<LockKey> = lock
        .entries()
        .filter(|e| e.key.source.is_some())
        .map(|e| e.key.clone())
        .collect();
    assert_eq!(Lockfile::changed_entries(None, Some(lock)), externals);
    assert_eq!(Lockfile::changed_entries(Some(lock), None), externals);
}

fn parse_lock(text: &str) -> Option<Lockfile> {
    match Lockfile::parse(text) {
        Ok(lock) => {
            check_lock(&lock);
            Some(lock)
        }
        Err(e) => {
            assert_one_line(&e);
            None
        }
    }
}

fn fixture_graph(lock: Option<&Lockfile>) -> Result<WorkspaceGraph, rbee_graph_model::Error> {
    WorkspaceGraph::from_metadata_json(METADATA, lock, Path::new(ROOT))
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn lockfile_random_text_never_panics(text in ".{0,200}") {
        parse_lock(&text);
    }

    #[test]
    fn lockfile_toml_like_text_never_panics(
        text in "(\\[\\[package\\]\\]\n|name = \"[a-z]{0,3}\"\n|version = \"[0-9.]{0,4}\"\n|source = \"[a-z+:]{0,5}\"\n|dependencies = \\[(\"[a-z0-9 ()]{0,8}\",? ?){0,3}\\]\n|[\\[\\]a-z0-9 =\"\n.,()+:#-]{0,12})*",
    ) {
        parse_lock(&text);
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Mutated real lock files: parse or a one-line error; a parsed one builds the fixture
    /// graph (a lock file cannot create a cycle between packages).
    #[test]
    fn lockfile_mutations_never_panic(text in mutated_lock()) {
        if let Some(lock) = parse_lock(&text) {
            let graph = fixture_graph(Some(&lock));
            prop_assert!(graph.is_ok(), "{:?}", graph.err());
            exercise(&graph.unwrap(), Some(&lock), &[], &[]);
        }
    }

    /// `changed_entries` is symmetric and only reports external entries.
    #[test]
    fn changed_entries_is_symmetric(a in mutated_lock(), b in mutated_lock()) {
        let (Ok(a), Ok(b)) = (Lockfile::parse(&a), Lockfile::parse(&b)) else {
            return Ok(());
        };
        let ab = Lockfile::changed_entries(Some(&a), Some(&b));
        let ba = Lockfile::changed_entries(Some(&b), Some(&a));
        prop_assert_eq!(&ab, &ba);
        for key in &ab {
            prop_assert!(key.source.is_some());
            prop_assert!(a.get(key) != b.get(key), "{:?} is the same on both sides", key);
        }
        // Every external entry that differs is reported.
        for entry in a.entries().chain(b.entries()) {
            if entry.key.source.is_some() && a.get(&entry.key) != b.get(&entry.key) {
                prop_assert!(ab.contains(&entry.key));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// cargo metadata
// ---------------------------------------------------------------------------------------------

/// An edit of the fixture's metadata JSON. Indices wrap around.
#[derive(Clone, Debug)]
enum MetaEdit {
    DropPackage(usize),
    DropDependency(usize, usize),
    DuplicateDependency(usize, usize),
    /// A path dependency of package `.0` on package `.1`'s directory (itself included), under
    /// `.1`'s name or another.
    PathDependencyOn(usize, usize, Option<String>, Value),
    /// A path dependency on any path at all.
    PathDependencyAt(usize, String, String, Value),
    SrcPath(usize, usize, String),
    ManifestPath(usize, String),
    /// Package `.0` takes the name of package `.1`.
    Rename(usize, usize),
    DropMember(usize),
    WorkspaceRoot(String),
    TargetKind(usize, usize, String),
    WorkspaceMetadata(Value),
}

fn dep_kind() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::from("dev")),
        Just(Value::from("build")),
        Just(Value::from("normal")),
        Just(Value::from("weird")),
    ]
}

/// Absolute-ish paths, in and out of the fixture's root.
fn meta_path() -> impl Strategy<Value = String> {
    prop_oneof![
        odd_path().prop_map(|p| format!("{ROOT}/{p}")),
        odd_path(),
        Just(ROOT.to_owned()),
        Just(format!("{ROOT}/..")),
        Just(format!("{ROOT}/../elsewhere")),
        Just("/elsewhere/lib".to_owned()),
        Just("/".to_owned()),
    ]
}

fn meta_edit() -> impl Strategy<Value = MetaEdit> {
    let at = any::<usize>;
    prop_oneof![
        1 => at().prop_map(MetaEdit::DropPackage),
        1 => (at(), at()).prop_map(|(p, d)| MetaEdit::DropDependency(p, d)),
        1 => (at(), at()).prop_map(|(p, d)| MetaEdit::DuplicateDependency(p, d)),
        3 => (at(), at(), prop::option::of(name()), dep_kind())
            .prop_map(|(p, q, n, k)| MetaEdit::PathDependencyOn(p, q, n, k)),
        2 => (at(), name(), meta_path(), dep_kind())
            .prop_map(|(p, n, path, k)| MetaEdit::PathDependencyAt(p, n, path, k)),
        1 => (at(), at(), meta_path()).prop_map(|(p, t, s)| MetaEdit::SrcPath(p, t, s)),
        1 => (at(), meta_path()).prop_map(|(p, m)| MetaEdit::ManifestPath(p, m)),
        1 => (at(), at()).prop_map(|(p, q)| MetaEdit::Rename(p, q)),
        1 => at().prop_map(MetaEdit::DropMember),
        1 => meta_path().prop_map(MetaEdit::WorkspaceRoot),
        1 => (at(), at(), prop::sample::select(&["lib", "bin", "test", "bench", "example", "custom-build", "proc-macro", "cdylib", "weird"][..]))
            .prop_map(|(p, t, k)| MetaEdit::TargetKind(p, t, k.to_owned())),
        1 => json_value().prop_map(MetaEdit::WorkspaceMetadata),
    ]
}

fn apply_meta_edits(edits: &[MetaEdit]) -> Value {
    let mut meta: Value = serde_json::from_str(METADATA).unwrap();
    for edit in edits {
        let packages = meta["packages"].as_array().unwrap().clone();
        let n = packages.len();
        let pkg = |i: &usize| i % n.max(1);
        let deps_of = |meta: &mut Value, p: usize| -> Vec<Value> {
            meta["packages"][p]["dependencies"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        match edit {
            _ if n == 0 => {}
            MetaEdit::DropPackage(i) => {
                meta["packages"].as_array_mut().unwrap().remove(pkg(i));
            }
            MetaEdit::DropDependency(p, d) => {
                let mut deps = deps_of(&mut meta, pkg(p));
                if !deps.is_empty() {
                    deps.remove(d % deps.len());
                }
                meta["packages"][pkg(p)]["dependencies"] = Value::Array(deps);
            }
            MetaEdit::DuplicateDependency(p, d) => {
                let mut deps = deps_of(&mut meta, pkg(p));
                if !deps.is_empty() {
                    let dep = deps[d % deps.len()].clone();
                    deps.push(dep);
                }
                meta["packages"][pkg(p)]["dependencies"] = Value::Array(deps);
            }
            MetaEdit::PathDependencyOn(p, q, name, kind) => {
                let target = &packages[pkg(q)];
                let dir = target["manifest_path"]
                    .as_str()
                    .unwrap_or("")
                    .trim_end_matches("/Cargo.toml")
                    .to_owned();
                let name = name
                    .clone()
                    .unwrap_or_else(|| target["name"].as_str().unwrap_or("").to_owned());
                let mut deps = deps_of(&mut meta, pkg(p));
                deps.push(path_dependency(&name, &dir, kind));
                meta["packages"][pkg(p)]["dependencies"] = Value::Array(deps);
            }
            MetaEdit::PathDependencyAt(p, name, path, kind) => {
                let mut deps = deps_of(&mut meta, pkg(p));
                deps.push(path_dependency(name, path, kind));
                meta["packages"][pkg(p)]["dependencies"] = Value::Array(deps);
            }
            MetaEdit::SrcPath(p, t, path) => {
                if let Some(targets) = meta["packages"][pkg(p)]["targets"].as_array_mut()
                    && !targets.is_empty()
                {
                    let len = targets.len();
                    targets[t % len]["src_path"] = Value::from(path.as_str());
                }
            }
            MetaEdit::ManifestPath(p, path) => {
                meta["packages"][pkg(p)]["manifest_path"] = Value::from(path.as_str());
            }
            MetaEdit::Rename(p, q) => {
                meta["packages"][pkg(p)]["name"] = packages[pkg(q)]["name"].clone();
            }
            MetaEdit::DropMember(i) => {
                if let Some(members) = meta["workspace_members"].as_array_mut()
                    && !members.is_empty()
                {
                    let len = members.len();
                    members.remove(i % len);
                }
            }
            MetaEdit::WorkspaceRoot(path) => meta["workspace_root"] = Value::from(path.as_str()),
            MetaEdit::TargetKind(p, t, kind) => {
                if let Some(targets) = meta["packages"][pkg(p)]["targets"].as_array_mut()
                    && !targets.is_empty()
                {
                    let len = targets.len();
                    targets[t % len]["kind"] = Value::from(vec![kind.as_str()]);
                }
            }
            MetaEdit::WorkspaceMetadata(value) => meta["metadata"] = value.clone(),
        }
    }
    meta
}

fn path_dependency(name: &str, path: &str, kind: &Value) -> Value {
    serde_json::json!({
        "name": name, "source": null, "req": "*", "kind": kind, "rename": null,
        "optional": false, "uses_default_features": true, "features": [], "target": null,
        "registry": null, "path": path,
    })
}

/// Roots the metadata is made relative to: the real one, around it, and nonsense.
fn repo_root() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(ROOT.to_owned()),
        1 => Just("/".to_owned()),
        1 => Just("/work".to_owned()),
        1 => Just(format!("{ROOT}/bin")),
        1 => Just(format!("{ROOT}/..")),
        1 => Just(String::new()),
        1 => Just("relative".to_owned()),
        1 => Just("/elsewhere".to_owned()),
        1 => odd_path(),
    ]
}

fn binary() -> impl Strategy<Value = Binary> {
    (
        prop::sample::select(
            &[
                "rbee-keeper",
                "queen-rbee",
                "rbee-hive",
                "hive-check",
                "hive-probe",
                "llm-worker-rbee",
                "xtask",
                "ghost",
            ][..],
        ),
        name(),
    )
        .prop_map(|(n, p)| Binary {
            name: n.to_owned(),
            package: p,
        })
}

/// Every node of `graph`: its packages, and the externals of `lock`.
fn all_nodes(graph: &WorkspaceGraph, lock: Option<&Lockfile>) -> Vec<NodeId> {
    let mut nodes: Vec<NodeId> = graph.packages().map(|(id, _)| id).collect();
    if let Some(lock) = lock {
        nodes.extend(lock.entries().filter_map(|e| graph.external(&e.key)));
    }
    nodes
}

/// Asks `graph` every question there is, checking what the docs promise.
fn exercise(
    graph: &WorkspaceGraph,
    lock: Option<&Lockfile>,
    paths: &[String],
    spawns: &[(Binary, Binary)],
) {
    let _ = graph.workspace_root();
    let _ = graph.workspace_metadata();

    // Build order: every package once, dependencies (normal, build) first.
    let order: Vec<NodeId> = graph.build_order().collect();
    let unique: HashSet<NodeId> = order.iter().copied().collect();
    assert_eq!(unique.len(), order.len(), "a package twice in build order");
    assert_eq!(order.len(), graph.packages().count());
    for (i, &id) in order.iter().enumerate() {
        assert_eq!(graph.rank(id), Some(i));
        let _ = graph.package(id);
        for (dep, kind) in graph.dependencies(id) {
            if kind.reaches_binaries()
                && let Some(rank) = graph.rank(dep)
            {
                assert!(
                    rank < i,
                    "`{}` before its dependency `{}`",
                    graph.name(id),
                    graph.name(dep)
                );
            }
        }
    }
    let _ = graph.members().count();
    let binaries: Vec<Binary> = graph.binaries().map(|(_, b)| b).collect();
    match graph.order_binaries(binaries.iter().cloned(), spawns) {
        Ok(ordered) => assert_eq!(ordered.len(), binaries.len()),
        Err(e) => assert_one_line(&e),
    }
    for name in NAMES {
        let _ = graph.package_by_name(name);
        let _ = graph.externals_named(name);
    }

    // Ownership: the owner's directory holds the path; roles never panic.
    let packages: Vec<NodeId> = graph.packages().map(|(id, _)| id).collect();
    for path in paths {
        if let Some(owner) = graph.owner(path) {
            let dir = graph
                .package(owner)
                .dir
                .clone()
                .expect("an owner has a dir");
            assert!(
                dir.is_empty() || path == &dir || path.starts_with(&format!("{dir}/")),
                "{path:?} is not inside {dir:?}"
            );
            let _ = graph.role_of(owner, path);
        }
        for &id in &packages {
            let _ = graph.role_of(id, path);
        }
    }

    // Closures: dependents and reachable mirror each other.
    let nodes = all_nodes(graph, lock);
    for &seed in &nodes {
        let dependents = graph.dependents(seed, DepKind::reaches_binaries);
        let everything = graph.dependents(seed, |_| true);
        let _ = graph.dev_dependents(seed).count();
        for id in dependents.iter() {
            let chain = dependents.chain(id).expect("reached nodes have a chain");
            assert_eq!(chain.first(), Some(&seed));
            assert_eq!(chain.last(), Some(&id));
            assert!(everything.contains(id));
        }
        for &other in &nodes {
            let reach = graph.reachable(other, DepKind::reaches_binaries);
            assert_eq!(reach.first(), Some(&other));
            assert_eq!(
                dependents.contains(other),
                reach.contains(&seed),
                "dependents({}) and reachable({}) disagree",
                graph.name(seed),
                graph.name(other)
            );
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Random JSON (and random text) is a one-line error, never a panic.
    #[test]
    fn metadata_random_json_never_panics(value in json_value(), text in ".{0,40}") {
        for json in [value.to_string(), text] {
            match WorkspaceGraph::from_metadata_json(&json, None, Path::new(ROOT)) {
                Ok(graph) => exercise(&graph, None, &[], &[]),
                Err(e) => assert_one_line(&e),
            }
        }
    }

    /// The fixture's metadata, edited, against several repository roots; whatever graph comes
    /// out answers every question.
    #[test]
    fn metadata_mutations_never_panic(
        edits in prop::collection::vec(meta_edit(), 0..6),
        root in repo_root(),
        with_lock in any::<bool>(),
        paths in prop::collection::vec(odd_path(), 0..12),
        spawns in prop::collection::vec((binary(), binary()), 0..6),
    ) {
        let meta = apply_meta_edits(&edits);
        let lock = Lockfile::parse(LOCK).unwrap();
        let lock = with_lock.then_some(&lock);
        match WorkspaceGraph::from_metadata_json(&meta.to_string(), lock, Path::new(&root)) {
            Ok(graph) => exercise(&graph, lock, &paths, &spawns),
            Err(e) => assert_one_line(&e),
        }
    }

    /// Manifests of non-member path packages (read through `from_metadata_reading`) can be
    /// anything: garbage, path cycles, paths out of the repository.
    #[test]
    fn non_member_manifests_never_panic(
        edits in prop::collection::vec(meta_edit(), 0..4),
        outside in prop::collection::vec((name(), meta_path(), dep_kind()), 1..4),
        manifests in prop::collection::vec(manifest(), 1..5),
        paths in prop::collection::vec(odd_path(), 0..8),
    ) {
        let mut edits = edits;
        for (i, (name, path, kind)) in outside.into_iter().enumerate() {
            edits.push(MetaEdit::PathDependencyAt(i, name, path, kind));
        }
        let meta = apply_meta_edits(&edits);
        let Ok(metadata) = serde_json::from_value::<cargo_metadata::Metadata>(meta) else {
            return Ok(());
        };
        let lock = Lockfile::parse(LOCK).unwrap();
        let read = |path: &Path| {
            let hash = path.as_os_str().len() + path.components().count();
            (!hash.is_multiple_of(7)).then(|| manifests[hash % manifests.len()].clone())
        };
        match WorkspaceGraph::from_metadata_reading(&metadata, Some(&lock), Path::new(ROOT), &read) {
            Ok(graph) => exercise(&graph, Some(&lock), &paths, &[]),
            Err(e) => assert_one_line(&e),
        }
    }
}

/// The text of a `Cargo.toml` with path dependencies, or garbage.
fn manifest() -> impl Strategy<Value = String> {
    let table = prop::sample::select(
        &[
            "dependencies",
            "build-dependencies",
            "build_dependencies",
            "dev-dependencies",
            "dev_dependencies",
            "target.'cfg(unix)'.dependencies",
            "target.x86_64-unknown-linux-gnu.build-dependencies",
            "weird-dependencies",
        ][..],
    );
    let path = prop_oneof![
        prop::sample::select(
            &[
                ".",
                "..",
                "../..",
                "../../../../../..",
                "sub",
                "../x",
                "/",
                "/abs/lib",
                ""
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z./]{0,12}",
    ];
    let entry = (name(), path, prop::option::of(name())).prop_map(|(key, path, package)| {
        let key = if key.is_empty() {
            "\"\"".to_owned()
        } else {
            key
        };
        match package {
            Some(p) => format!("{key} = {{ path = \"{path}\", package = \"{p}\" }}"),
            None => format!("{key} = {{ path = \"{path}\" }}"),
        }
    });
    let section = (table, prop::collection::vec(entry, 0..4))
        .prop_map(|(table, entries)| format!("[{table}]\n{}\n", entries.join("\n")));
    prop_oneof![
        4 => prop::collection::vec(section, 0..3).prop_map(|s| s.concat()),
        1 => Just("[dependencies]\na = \"1\"\nb = 3\nc = { path = 5 }\n".to_owned()),
        1 => Just("dependencies = 1\ntarget = 2\n".to_owned()),
        1 => Just("[target]\nx = 1\n".to_owned()),
        1 => ".{0,40}",
    ]
}

// ---------------------------------------------------------------------------------------------
// Regressions and sanity checks of the harness itself
// ---------------------------------------------------------------------------------------------

#[test]
fn the_unmutated_fixture_passes_every_check() {
    let lock = parse_lock(LOCK).unwrap();
    let graph = fixture_graph(Some(&lock)).unwrap();
    let paths: Vec<String> = [
        "bin/rbee-hive/src/bin/hive-probe/x.rs",
        "libs/job-server/tests/t.rs",
        "",
    ]
    .map(str::to_owned)
    .to_vec();
    exercise(&graph, Some(&lock), &paths, &[]);
    let meta = apply_meta_edits(&[]);
    let again = WorkspaceGraph::from_metadata_json(&meta.to_string(), Some(&lock), Path::new(ROOT));
    assert_eq!(
        again.unwrap().build_order().count(),
        graph.build_order().count()
    );
}

#[test]
fn a_path_dependency_on_itself_or_a_dependent_is_a_one_line_error_or_a_graph() {
    // narration-core -> queen-rbee makes a cycle (queen-rbee depends on narration-core).
    let edits = [MetaEdit::PathDependencyOn(1, 3, None, Value::Null)];
    let meta = apply_meta_edits(&edits);
    let error =
        WorkspaceGraph::from_metadata_json(&meta.to_string(), None, Path::new(ROOT)).unwrap_err();
    assert_one_line(&error);
    assert!(error.to_string().contains("cycle"), "{error}");
    let itself = [MetaEdit::PathDependencyOn(1, 1, None, Value::Null)];
    let meta = apply_meta_edits(&itself);
    let graph = WorkspaceGraph::from_metadata_json(&meta.to_string(), None, Path::new(ROOT));
    exercise(&graph.unwrap(), None, &[], &[]);
}

#[test]
fn changed_entries_sees_a_bump() {
    let old = Lockfile::parse(LOCK).unwrap();
    let new = Lockfile::parse(&LOCK.replace("1.0.19", "1.0.20")).unwrap();
    let changed: BTreeMap<String, String> = Lockfile::changed_entries(Some(&old), Some(&new))
        .into_iter()
        .map(|k| (k.version, k.name))
        .collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
}
