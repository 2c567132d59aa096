//! Property tests ("fuzzing") of what the engine reads from user files: build records
//! ([`record::parse`]), cargo's dep-info ([`depinfo::parse`], then
//! [`freshness::reads_outside_packages`]), `[workspace.metadata.rbee-graph]`
//! ([`Config::from_workspace_metadata`]), the lock entries a binary reaches
//! ([`freshness::lock_entries`]), and the path rules over the rbee fixture ([`rules::affected`]).
//!
//! The properties: nothing panics, every error is one line, and what the docs promise holds
//! (a record survives a round trip, a future schema is told apart from garbage, escaped dep-info
//! paths come back as written, a configuration that parses compiles into path rules, affected
//! binaries are binaries of the head with at least one reason).
//!
//! Deterministic: a fixed seed and no failure files, so CI sees the same cases every run.
//! `PROPTEST_CASES=10000 cargo test -p rbee-graph-engine --test fuzz` runs more cases;
//! `PROPTEST_RNG_SEED=N` picks another seed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cargo::{depinfo, toolchain};
use crate::observe::freshness;
use crate::ops::select;
use crate::records::format::LockedEntry;
use crate::records::format::{self as record, Record, SCHEMA, Unusable};
use crate::records::inputs::{Content, Input};
use crate::stamp::Stamp;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};
use rbee_graph_model::rules::{self, Change, Config, Mode, PathRules};
use rbee_graph_model::{Binary, LockKey, Lockfile, WorkspaceGraph};
use serde_json::{Value, json};

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

fn lock() -> Lockfile {
    Lockfile::parse(LOCK).unwrap()
}

/// The fixture graph, from `metadata` (the fixture's, or an edited copy).
fn graph_from(metadata: &str, lock: Option<&Lockfile>) -> WorkspaceGraph {
    WorkspaceGraph::from_metadata_json(metadata, lock, Path::new(ROOT)).unwrap()
}

/// The fixture's metadata without package `name`.
fn metadata_without(name: &str) -> String {
    let mut meta: Value = serde_json::from_str(METADATA).unwrap();
    meta["packages"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["name"] != name);
    meta.to_string()
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

const NAMES: &[&str] = &[
    "build-info",
    "daemon-lifecycle",
    "hive-lifecycle",
    "job-server",
    "llm-worker-rbee",
    "narration-core",
    "queen-rbee",
    "rbee-hive",
    "rbee-keeper",
    "test-harness",
    "xtask",
    "hive-check",
    "hive-probe",
    "itoa",
    "cfg-if",
    "default",
    "",
    "ghost",
];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(NAMES).prop_map(str::to_owned),
        1 => "[a-z_-]{1,8}",
        1 => ".{0,6}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[ -~]{0,12}", 1 => ".{0,8}"]
}

/// Any JSON value, with the keys of the configuration now and then.
fn json_value() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "rbee-graph",
        "spawns",
        "ignore",
        "global",
        "owners",
        "auto-build",
        "auto_build",
        "profile",
        "default",
        "schema",
        "binary",
        "dirty",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,10}".prop_map(Value::String),
        glob().prop_map(Value::String),
        prop::sample::select(KEYS).prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
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

/// Glob patterns, good and bad.
fn glob() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            &[
                "a/[b",
                "{a,b",
                "a,b}",
                "**",
                "**/",
                "/**",
                "a/**/b",
                "a/**b",
                "\\",
                "a\\",
                "[!]",
                "[]",
                "[z-a]",
                "[a-]",
                "*.md",
                "docs/**",
                "a{b,{c,d}}",
                "{}",
                "{,}",
                "***",
                "",
                "/",
                "日本/**",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z*?/{},!\\[\\]\\\\^.-]{0,12}",
    ]
}

/// Repository-relative paths of every odd shape, and the fixture's own.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("/".to_owned()),
        Just("..".to_owned()),
        Just("../rust-toolchain.toml".to_owned()),
        Just("Cargo.toml".to_owned()),
        Just("Cargo.lock".to_owned()),
        Just("rust-toolchain.toml".to_owned()),
        Just(".cargo/config.toml".to_owned()),
        Just("sub/.cargo/config.toml".to_owned()),
        Just("README.md".to_owned()),
        Just("docs/guide.md".to_owned()),
        Just("shared/prompts.txt".to_owned()),
        Just(format!("{}b.rs", "a/".repeat(2000))),
        Just("ä/ö/日本語.rs".to_owned()),
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
                    "libs/test-harness",
                    "xtask",
                    "sub",
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
                    "/tests/t.rs",
                    "/benches/b.rs",
                    "/examples/e.rs",
                    "/Cargo.toml",
                    "/README.md",
                    "/rust-toolchain.toml",
                    "x",
                ][..]
            ),
        )
            .prop_map(|(dir, rest)| format!("{dir}{rest}")),
        "[a-z./_é日-]{0,30}",
        ".{0,12}",
    ]
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

fn stamp() -> impl Strategy<Value = Stamp> {
    (
        any::<bool>(),
        any::<u64>(),
        any::<i128>(),
        any::<u64>(),
        any::<i128>(),
        any::<u64>(),
    )
        .prop_map(|(exists, size, mtime_ns, inode, ctime_ns, dev)| Stamp {
            exists,
            size,
            mtime_ns,
            inode,
            ctime_ns,
            dev,
        })
}

fn input() -> impl Strategy<Value = Input> {
    let content = prop_oneof![
        Just(Content::Absent),
        text().prop_map(Content::File),
        text().prop_map(Content::Dir),
        Just(Content::Unsettled),
    ];
    (content, prop::option::of(stamp()), prop::option::of(path())).prop_map(
        |(content, stamp, resolved)| Input {
            content,
            stamp,
            resolved: resolved.map(PathBuf::from),
        },
    )
}

fn locked_entry() -> impl Strategy<Value = LockedEntry> {
    (
        text(),
        prop::option::of(text()),
        prop::collection::vec(text(), 0..3),
    )
        .prop_map(|(name, checksum, dependencies)| LockedEntry {
            name,
            checksum,
            dependencies,
        })
}

fn a_record() -> impl Strategy<Value = Record> {
    let who = (
        name(),
        name(),
        text(),
        text(),
        prop::collection::vec(text(), 0..3),
    );
    let what = (
        text(),
        prop::collection::btree_map(text(), prop::option::of(text()), 0..4),
        text(),
        prop::collection::btree_map(text(), text(), 0..4),
        prop::collection::btree_map(text(), locked_entry(), 0..3),
    );
    let where_ = (
        prop::collection::btree_map(path(), input(), 0..4),
        prop::collection::vec(path(), 0..3),
        text(),
        stamp(),
    );
    (SCHEMA..=SCHEMA, who, what, where_).prop_map(
        |(
            schema,
            (binary, package, profile, target, features),
            (commit, dirty, toolchain, environment, lock_entries),
            (inputs, scope, executable, executable_stamp),
        )| Record {
            schema,
            binary: Binary {
                name: binary,
                package,
            },
            profile,
            target,
            features,
            feature_request: Default::default(),
            required_features: Vec::new(),
            workspace_root: PathBuf::from(ROOT),
            commit,
            dirty,
            toolchain,
            environment,
            env_deps: Default::default(),
            lock_entries,
            externals: None,
            lock_file: PathBuf::from(ROOT).join("Cargo.lock"),
            inputs: inputs
                .into_iter()
                .map(|(path, input)| (PathBuf::from(path), input))
                .collect(),
            scope,
            executable: PathBuf::from(executable),
            executable_stamp,
        },
    )
}

/// What every outcome of `record::parse` must satisfy.
fn check_record_outcome(outcome: &Result<Record, Unusable>) {
    match outcome {
        Ok(record) => assert!(record.schema <= SCHEMA),
        Err(Unusable::Corrupt(message)) => {
            assert!(!message.contains('\n'), "{message:?}");
        }
        Err(Unusable::FutureSchema(schema)) => assert!(*schema > SCHEMA),
        Err(Unusable::Missing) => panic!("parse never says missing"),
    }
}

/// A byte-level edit of a record file. Offsets wrap around.
#[derive(Clone, Debug)]
enum ByteEdit {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    let token = prop_oneof![
        prop::sample::select(
            &[
                "{",
                "}",
                "[",
                "]",
                "\"",
                ",",
                ":",
                "null",
                "true",
                "-1",
                "1e999",
                "1.5",
                "99999999999999999999",
                "\"schema\": 2",
                "\\",
                "\\u",
                "\u{0}",
                "\u{fffd}",
            ][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 1..4),
    ];
    prop_oneof![
        1 => any::<usize>().prop_map(ByteEdit::Truncate),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| ByteEdit::Flip(a, b)),
        3 => (any::<usize>(), token).prop_map(|(a, t)| ByteEdit::Insert(a, t)),
        1 => (any::<usize>(), 1..16usize).prop_map(|(a, n)| ByteEdit::Delete(a, n)),
    ]
}

fn apply_byte_edits(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for edit in edits {
        let n = bytes.len() + 1;
        match edit {
            ByteEdit::Truncate(at) => bytes.truncate(at % n),
            ByteEdit::Flip(at, b) if !bytes.is_empty() => {
                let len = bytes.len();
                bytes[at % len] ^= b;
            }
            ByteEdit::Insert(at, token) => {
                let at = at % n;
                bytes.splice(at..at, token.iter().copied());
            }
            ByteEdit::Delete(at, len) => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            _ => {}
        }
    }
    bytes
}

/// A field-level edit of a record's JSON.
#[derive(Clone, Debug)]
enum FieldEdit {
    Remove(usize),
    Set(usize, Value),
    Schema(Value),
    Unknown(String, Value),
}

const RECORD_FIELDS: &[&str] = &[
    "schema",
    "binary",
    "profile",
    "target",
    "features",
    "feature_request",
    "required_features",
    "commit",
    "dirty",
    "toolchain",
    "environment",
    "lock_entries",
    "inputs",
    "lock_file",
    "workspace_root",
    "scope",
    "executable",
    "executable_stamp",
];

fn field_edit() -> impl Strategy<Value = FieldEdit> {
    let schema = prop_oneof![
        prop::sample::select(vec![
            json!(0),
            json!(1),
            json!(2),
            json!(u32::MAX),
            json!(u64::from(u32::MAX) + 1),
            json!(u64::MAX),
            json!(-1),
            json!(1.5),
            json!(1.0),
            json!("1"),
            json!(null),
            json!([1]),
        ]),
        any::<u64>().prop_map(Value::from),
    ];
    prop_oneof![
        1 => any::<usize>().prop_map(FieldEdit::Remove),
        2 => (any::<usize>(), json_value()).prop_map(|(i, v)| FieldEdit::Set(i, v)),
        2 => schema.prop_map(FieldEdit::Schema),
        1 => (".{0,6}", json_value()).prop_map(|(k, v)| FieldEdit::Unknown(k, v)),
    ]
}

fn apply_field_edits(record: &Record, edits: &[FieldEdit]) -> Value {
    // `serde_json::Value` holds no integer beyond 64 bits; the engine writes records as text,
    // which does (see `record_round_trips`).
    let mut record = record.clone();
    let stamps = std::iter::once(&mut record.executable_stamp)
        .chain(record.inputs.values_mut().filter_map(|i| i.stamp.as_mut()));
    for stamp in stamps {
        for ns in [&mut stamp.mtime_ns, &mut stamp.ctime_ns] {
            *ns = (*ns).clamp(i64::MIN.into(), i64::MAX.into());
        }
    }
    let mut value = serde_json::to_value(&record).unwrap();
    let object = value.as_object_mut().unwrap();
    for edit in edits {
        match edit {
            FieldEdit::Remove(i) => {
                object.remove(RECORD_FIELDS[i % RECORD_FIELDS.len()]);
            }
            FieldEdit::Set(i, v) => {
                object.insert(RECORD_FIELDS[i % RECORD_FIELDS.len()].to_owned(), v.clone());
            }
            FieldEdit::Schema(v) => {
                object.insert("schema".to_owned(), v.clone());
            }
            FieldEdit::Unknown(k, v) => {
                if !RECORD_FIELDS.contains(&k.as_str()) {
                    object.insert(k.clone(), v.clone());
                }
            }
        }
    }
    value
}

proptest! {
    #![proptest_config(config(256))]

    /// A record the engine writes reads back as the same record.
    #[test]
    fn record_round_trips(record in a_record()) {
        let pretty = serde_json::to_vec_pretty(&record).unwrap();
        prop_assert_eq!(record::parse(&pretty), Ok(record.clone()));
        let compact = serde_json::to_vec(&record).unwrap();
        prop_assert_eq!(record::parse(&compact), Ok(record));
    }

    /// Random bytes: garbage, never a panic.
    #[test]
    fn record_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_record_outcome(&record::parse(&bytes));
    }

    /// A record file cut short, bit-flipped, or with stray tokens: a record, a future schema or
    /// a one-line complaint.
    #[test]
    fn record_byte_mutations_never_panic(
        record in a_record(),
        edits in prop::collection::vec(byte_edit(), 1..6),
    ) {
        let bytes = apply_byte_edits(serde_json::to_vec_pretty(&record).unwrap(), &edits);
        check_record_outcome(&record::parse(&bytes));
    }

    /// Fields removed, of the wrong type, unknown, and schemas of every shape; a schema above
    /// [`SCHEMA`] is always told apart from garbage.
    #[test]
    fn record_field_mutations_never_panic(
        record in a_record(),
        edits in prop::collection::vec(field_edit(), 1..5),
    ) {
        let value = apply_field_edits(&record, &edits);
        let outcome = record::parse(value.to_string().as_bytes());
        check_record_outcome(&outcome);
        if let Some(schema) = value["schema"].as_u64()
            && schema > u64::from(SCHEMA)
            && schema <= u64::from(u32::MAX)
        {
            prop_assert_eq!(outcome, Err(Unusable::FutureSchema(schema as u32)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// dep-info
// ---------------------------------------------------------------------------------------------

/// The escaping the parser undoes: `\` and space (and `#`, `:`) behind a backslash.
fn escape(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        if matches!(c, ' ' | '\\' | '#' | ':') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn binary() -> impl Strategy<Value = Binary> {
    (name(), name()).prop_map(|(name, package)| Binary { name, package })
}

proptest! {
    #![proptest_config(config(512))]

    /// Random text, heavy on the characters the format gives meaning to.
    #[test]
    fn depinfo_random_text_never_panics(
        special in "[a-z/\\\\: \t#\n\r.é日]{0,80}",
        any_text in ".{0,60}",
    ) {
        for text in [special, any_text] {
            let files = depinfo::parse(&text);
            prop_assert!(files.iter().all(|f| !f.as_os_str().is_empty()));
        }
    }

    /// Escaped paths come back exactly as written, on the first rule and on later lines.
    #[test]
    fn depinfo_escaped_paths_round_trip(
        paths in prop::collection::vec("[a-z/.:#é日 \\\\-]{1,12}", 0..6),
        trailer in prop::sample::select(&["", "\n", "\n\n/r/src/main.rs:\n", "\r\n", "\n# env-dep:X=1\n"][..]),
    ) {
        let line: Vec<String> = paths.iter().map(|p| escape(&format!("{ROOT}/{p}"))).collect();
        let text = format!("/t/debug/app: {}{trailer}", line.join(" "));
        let files = depinfo::parse(&text);
        let expected: Vec<PathBuf> = paths.iter().map(|p| PathBuf::from(format!("{ROOT}/{p}"))).collect();
        // An empty rule (`path:`) and a comment add nothing.
        prop_assert_eq!(files, expected, "{:?}", text);
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration and path rules
// ---------------------------------------------------------------------------------------------

/// A `[workspace.metadata.rbee-graph]` table: right keys with right and wrong types, typos.
fn config_table() -> impl Strategy<Value = Value> {
    let names = || prop::collection::vec(name(), 0..3);
    let spawns = prop_oneof![
        3 => prop::collection::btree_map(name(), names(), 0..4).prop_map(|m| json!(m)),
        1 => json_value(),
    ];
    let globs = || {
        prop_oneof![
            3 => prop::collection::vec(glob(), 0..3).prop_map(|v| json!(v)),
            1 => json_value(),
        ]
    };
    let owners = prop_oneof![
        3 => prop::collection::btree_map(glob(), names(), 0..3).prop_map(|m| json!(m)),
        1 => json_value(),
    ];
    let auto_build = prop_oneof![
        any::<bool>().prop_map(|b| json!(b)),
        prop::collection::btree_map(name(), any::<bool>(), 0..3).prop_map(|m| json!(m)),
        json_value(),
    ];
    let profile = prop_oneof![name().prop_map(|p| json!(p)), json_value()];
    let key = prop::sample::select(
        &[
            "spawns",
            "ignore",
            "global",
            "owners",
            "auto-build",
            "profile",
            "auto_build",
            "spawn",
            "",
        ][..],
    );
    (
        prop::option::of(spawns),
        prop::option::of(globs()),
        prop::option::of(globs()),
        prop::option::of(owners),
        prop::option::of(auto_build),
        prop::option::of(profile),
        prop::option::of((key, json_value())),
    )
        .prop_map(
            |(spawns, ignore, global, owners, auto_build, profile, extra)| {
                let mut table = serde_json::Map::new();
                for (key, value) in [
                    ("spawns", spawns),
                    ("ignore", ignore),
                    ("global", global),
                    ("owners", owners),
                    ("auto-build", auto_build),
                    ("profile", profile),
                ] {
                    if let Some(value) = value {
                        table.insert(key.to_owned(), value);
                    }
                }
                if let Some((key, value)) = extra {
                    table.insert(key.to_owned(), value);
                }
                Value::Object(table)
            },
        )
}

/// Parses a configuration; whatever parses compiles into path rules for any workspace root.
fn parse_config(metadata: &Value) -> Option<Config> {
    match Config::from_workspace_metadata(metadata) {
        Ok(config) => {
            for root in ["", "sub", "a/b"] {
                if let Err(e) = PathRules::new(root, &config) {
                    panic!("a configuration that parsed does not compile: {e}");
                }
            }
            Some(config)
        }
        Err(e) => {
            assert_one_line(&e);
            None
        }
    }
}

/// The graphs a base may be: none (same as the head), a package fewer, no lock file.
fn base_choice() -> impl Strategy<Value = usize> {
    0..4usize
}

/// Built once: parsing the fixture's metadata dominates a case otherwise.
static FIXTURE: std::sync::LazyLock<Fixture> = std::sync::LazyLock::new(Fixture::new);

struct Fixture {
    head: WorkspaceGraph,
    bases: Vec<WorkspaceGraph>,
    lock_keys: Vec<LockKey>,
}

impl Fixture {
    fn new() -> Fixture {
        let lock = lock();
        Fixture {
            head: graph_from(METADATA, Some(&lock)),
            bases: vec![
                graph_from(&metadata_without("rbee-hive"), Some(&lock)),
                graph_from(&metadata_without("narration-core"), Some(&lock)),
                graph_from(METADATA, None),
            ],
            lock_keys: lock.entries().map(|e| e.key.clone()).collect(),
        }
    }

    fn base(&self, choice: usize) -> Option<&WorkspaceGraph> {
        choice.checked_sub(1).map(|i| &self.bases[i])
    }
}

fn lock_key() -> impl Strategy<Value = Result<usize, LockKey>> {
    prop_oneof![
        any::<usize>().prop_map(Ok),
        (text(), text(), prop::option::of(text())).prop_map(|(name, version, source)| Err(
            LockKey {
                name,
                version,
                source
            }
        )),
    ]
}

/// Runs the rules and checks the answer; returns the affected binaries.
fn run_affected(rules: &PathRules, change: &Change<'_>, mode: Mode) -> Option<BTreeSet<Binary>> {
    match rules::affected(rules, change, mode) {
        Ok(affected) => {
            let head: BTreeSet<Binary> = change.head.binaries().map(|(_, b)| b).collect();
            let mut seen = BTreeSet::new();
            for binary in &affected.binaries {
                assert!(
                    head.contains(&binary.binary),
                    "{:?} is not a head binary",
                    binary.binary
                );
                assert!(
                    !binary.reasons.is_empty(),
                    "{:?} has no reason",
                    binary.binary
                );
                assert!(
                    seen.insert(binary.binary.clone()),
                    "{:?} twice",
                    binary.binary
                );
            }
            let packages: BTreeSet<&String> = affected.packages.iter().collect();
            assert_eq!(packages.len(), affected.packages.len(), "a package twice");
            for package in &affected.packages {
                assert!(change.head.package_by_name(package).is_some(), "{package}");
            }
            Some(seen)
        }
        Err(e) => {
            assert_one_line(&e);
            None
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Any JSON as `[workspace.metadata]`: a configuration or a one-line error.
    #[test]
    fn config_random_json_never_panics(value in json_value(), table in json_value()) {
        parse_config(&value);
        parse_config(&json!({ "rbee-graph": table }));
    }

    /// Valid-ish tables: right keys with wrong types, bad globs, typos.
    #[test]
    fn config_tables_never_panic(table in config_table()) {
        let fixture_graph = &FIXTURE.head;
        if let Some(config) = parse_config(&json!({ "rbee-graph": table }))
            && let Err(e) = config.check_names(fixture_graph)
        {
            assert_one_line(&e);
        }
    }

    /// The path rules over the fixture, with random configurations, changed paths, lock
    /// entries and spawn edges, in both modes, against several bases.
    #[test]
    fn affected_never_panics(
        table in config_table(),
        root in prop::sample::select(&["", "", "", "sub", "bin", "bin/rbee-hive", "/", "日本"][..]),
        paths in prop::collection::btree_set(path(), 0..8),
        keys in prop::collection::vec(lock_key(), 0..3),
        base in base_choice(),
        tests_mode in any::<bool>(),
        selected in (name(), prop::option::of(name())),
    ) {
        let fixture = &*FIXTURE;
        let config = parse_config(&json!({ "rbee-graph": table })).unwrap_or_default();
        let rules = PathRules::new(root, &config).unwrap();
        let lock_entries: BTreeSet<LockKey> = keys
            .into_iter()
            .map(|k| match k {
                Ok(i) => fixture.lock_keys[i % fixture.lock_keys.len()].clone(),
                Err(key) => key,
            })
            .collect();
        let change = Change {
        reads: None,
        test_reads: None,
        declarations: None,
            head: &fixture.head,
            base: fixture.base(base),
            paths: &paths,
            lock_entries: &lock_entries,
            lock_path: "Cargo.lock",
            spawns: &config.spawns,
        };
        let mode = if tests_mode { Mode::Tests } else { Mode::Binaries };
        run_affected(&rules, &change, mode);
        for path in &paths {
            let _ = rules.is_unowned(&fixture.head, path);
        }
        // The other user input the engine resolves against the graph: binary names.
        match select::binary(&fixture.head, &selected.0, selected.1.as_deref()) {
            Ok(binary) => prop_assert!(fixture.head.binaries().any(|(_, b)| b == binary)),
            Err(e) => assert_one_line(&e),
        }
    }

    /// With default rules, paths affect binaries one by one: the binaries a set of paths
    /// affects are the union of those each path affects, and no change affects nothing.
    #[test]
    fn affected_is_a_union_over_paths(
        paths in prop::collection::btree_set(path(), 0..6),
        base in base_choice(),
    ) {
        let fixture = &*FIXTURE;
        let rules = PathRules::new("", &Config::default()).unwrap();
        let none = BTreeSet::new();
        let spawns = BTreeMap::new();
        let change = |paths: &BTreeSet<String>| {
            let change = Change {
        reads: None,
        test_reads: None,
        declarations: None,
                head: &fixture.head,
                base: fixture.base(base),
                paths,
                lock_entries: &none,
                lock_path: "Cargo.lock",
                spawns: &spawns,
            };
            run_affected(&rules, &change, Mode::Binaries).unwrap()
        };
        let all = change(&paths);
        let mut union = BTreeSet::new();
        for path in &paths {
            let one = BTreeSet::from([path.clone()]);
            union.extend(change(&one));
        }
        prop_assert_eq!(all, union);
        prop_assert!(change(&BTreeSet::new()).is_empty());
    }

    /// Mutated lock files: the lock entries a binary reaches never panic, and name only
    /// crates the lock file has.
    #[test]
    fn lock_entries_never_panic(
        edits in prop::collection::vec((any::<usize>(), prop::option::of("[ -~]{0,40}")), 0..6),
        bin in binary(),
        triple in ".{0,40}",
    ) {
        let mut lines: Vec<String> = LOCK.lines().map(str::to_owned).collect();
        for (at, line) in edits {
            let at = at % lines.len().max(1);
            match line {
                Some(line) if !lines.is_empty() => lines[at] = line,
                Some(line) => lines.push(line),
                None if !lines.is_empty() => {
                    lines.remove(at);
                }
                None => {}
            }
        }
        let Ok(lock) = Lockfile::parse(&lines.join("\n")) else {
            return Ok(());
        };
        let graph = WorkspaceGraph::from_metadata_json(METADATA, Some(&lock), Path::new(ROOT)).unwrap();
        for binary in graph.binaries().map(|(_, b)| b).chain([bin]) {
            let entries = freshness::lock_entries(&graph, Some(&lock), &binary, None);
            for entry in entries.values() {
                prop_assert!(lock.entries().any(|e| e.key.name == entry.name));
            }
            prop_assert!(freshness::lock_entries(&graph, None, &binary, None).is_empty());
        }
        let _ = toolchain::host_triple(&format!("rustc 1.0\nhost: {triple}\n"));
        let _ = toolchain::host_triple(&triple);
    }
}

// ---------------------------------------------------------------------------------------------
// Sanity checks of the harness
// ---------------------------------------------------------------------------------------------

#[test]
fn the_fixture_configuration_parses_and_a_library_change_reaches_its_dependents() {
    let fixture = &*FIXTURE;
    let config = parse_config(fixture.head.workspace_metadata()).unwrap();
    let rules = PathRules::new(fixture.head.workspace_root(), &config).unwrap();
    let paths = BTreeSet::from(["libs/narration-core/src/lib.rs".to_owned()]);
    let none = BTreeSet::new();
    let change = Change {
        reads: None,
        test_reads: None,
        declarations: None,
        head: &fixture.head,
        base: None,
        paths: &paths,
        lock_entries: &none,
        lock_path: "Cargo.lock",
        spawns: &config.spawns,
    };
    let affected = run_affected(&rules, &change, Mode::Binaries).unwrap();
    assert!(affected.len() >= 5, "{affected:?}");
}

#[test]
fn a_future_schema_is_not_garbage() {
    assert_eq!(
        record::parse(br#"{"schema": 4, "anything": [1, 2]}"#),
        Err(Unusable::FutureSchema(4))
    );
    check_record_outcome(&record::parse(b""));
}
