//! The path rules as a specification: changed paths (and lock entries) in, affected binaries
//! with their reasons out, over the committed metadata of the rbee fixture. Pure and fast: no
//! git, no cargo, no file system beyond the committed files read at compile time.
//!
//! Each case is `check(change, expect)`, where `expect` is the answer rendered one line per
//! affected binary, in build order: `binary: kind path [via chain]` for its most direct reason
//! (then `+N` when it has more). On a mismatch the whole answer is printed.

use std::collections::BTreeSet;
use std::path::Path;

use rbee_graph_model::rules::{self, Change, Config, Mode, PathClass, PathRules, Reason};
use rbee_graph_model::rules::{GlobalRule, IgnoreRule, TrustedReads};
use rbee_graph_model::{Binary, LockKey, Lockfile, PathRole, WorkspaceGraph};

const METADATA: &str = include_str!("../../testdata/metadata/rbee.json");
const LOCK: &str = include_str!("../../testdata/repos/rbee/Cargo.lock");

/// The fixture's graph and configuration, with `extra` merged into its
/// `[workspace.metadata.rbee-graph]`. The repository is the workspace root.
fn fixture(extra: serde_json::Value) -> (WorkspaceGraph, Config, PathRules) {
    let mut metadata: serde_json::Value = serde_json::from_str(METADATA).unwrap();
    let root = metadata["workspace_root"].as_str().unwrap().to_owned();
    let table = &mut metadata["metadata"]["rbee-graph"];
    for (key, value) in extra.as_object().unwrap() {
        table[key] = value.clone();
    }
    let config = Config::from_workspace_metadata(&metadata["metadata"]).unwrap();
    let lock = Lockfile::parse(LOCK).unwrap();
    let graph =
        WorkspaceGraph::from_metadata_json(&metadata.to_string(), Some(&lock), Path::new(&root))
            .unwrap();
    let rules = PathRules::new(graph.workspace_root(), &config).unwrap();
    (graph, config, rules)
}

/// What changed, and how to ask.
#[derive(Default)]
struct Case<'a> {
    paths: &'a [&'a str],
    lock_entries: &'a [&'a str],
    mode: Mode,
    config: Option<serde_json::Value>,
    reads: Option<TrustedReads>,
}

fn check(case: Case<'_>, expect: &str) {
    let (graph, config, rules) = fixture(case.config.unwrap_or(serde_json::json!({})));
    let paths: BTreeSet<String> = case.paths.iter().map(|p| p.to_string()).collect();
    let lock = Lockfile::parse(LOCK).unwrap();
    let lock_entries: BTreeSet<LockKey> = case
        .lock_entries
        .iter()
        .map(|name| {
            let entry = lock.entries().find(|e| e.key.name == *name);
            entry
                .unwrap_or_else(|| panic!("no lock entry {name}"))
                .key
                .clone()
        })
        .collect();
    let change = Change {
        head: &graph,
        base: None,
        paths: &paths,
        lock_entries: &lock_entries,
        lock_path: "Cargo.lock",
        spawns: &config.spawns,
        reads: case.reads.as_ref(),
    };
    let affected = rules::affected(&rules, &change, case.mode).unwrap();
    let actual = match case.mode {
        Mode::Binaries => render(&affected.binaries),
        Mode::Tests => affected.packages.join("\n"),
    };
    assert_eq!(
        actual.trim(),
        expect.trim(),
        "\nchanged: {:?} {:?}\n--- actual ---\n{actual}\n",
        case.paths,
        case.lock_entries
    );
}

fn render(binaries: &[rules::AffectedBinary]) -> String {
    binaries
        .iter()
        .map(|b| {
            let first = &b.reasons[0];
            let more = match b.reasons.len() - 1 {
                0 => String::new(),
                n => format!(" +{n}"),
            };
            format!("{}: {}{more}", b.binary.name, line(first))
        })
        .collect::<Vec<_>>()
        .join("\n")
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

#[test]
fn a_shared_library_reaches_every_binary_built_from_it_in_spawn_order() {
    check(
        Case {
            paths: &["libs/narration-core/src/lib.rs"],
            ..Case::default()
        },
        "
hive-check: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
hive-probe: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
rbee-keeper: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-keeper
queen-rbee: dependency libs/narration-core/src/lib.rs via narration-core -> queen-rbee
rbee-hive: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
llm-worker-rbee: dependency libs/narration-core/src/lib.rs via narration-core -> llm-worker-rbee
",
    );
}

#[test]
fn a_library_one_binary_uses_reaches_only_that_binary_with_its_chain() {
    check(
        Case {
            paths: &["libs/hive-lifecycle/src/lib.rs"],
            ..Case::default()
        },
        "queen-rbee: dependency libs/hive-lifecycle/src/lib.rs via hive-lifecycle -> queen-rbee",
    );
}

#[test]
fn a_binary_package_file_is_a_path_reason() {
    check(
        Case {
            paths: &["bin/queen-rbee/src/main.rs"],
            ..Case::default()
        },
        "queen-rbee: path bin/queen-rbee/src/main.rs",
    );
}

#[test]
fn a_build_dependency_reaches_its_dependent() {
    check(
        Case {
            paths: &["libs/build-info/src/lib.rs"],
            ..Case::default()
        },
        "llm-worker-rbee: dependency libs/build-info/src/lib.rs via build-info -> llm-worker-rbee",
    );
}

#[test]
fn a_dev_dependency_reaches_no_binary_but_runs_the_tests_of_its_dependents() {
    let change = Case {
        paths: &["libs/test-harness/src/lib.rs"],
        ..Case::default()
    };
    check(change, "");
    check(
        Case {
            paths: &["libs/test-harness/src/lib.rs"],
            mode: Mode::Tests,
            ..Case::default()
        },
        // In build order; both depend on it as a dev-dependency only.
        "job-server\ntest-harness\nxtask",
    );
}

#[test]
fn test_only_files_affect_tests_and_no_binary() {
    for path in [
        "libs/narration-core/tests/narration.rs",
        "libs/narration-core/benches/bench.rs",
        "libs/narration-core/examples/demo.rs",
    ] {
        check(
            Case {
                paths: &[path],
                ..Case::default()
            },
            "",
        );
        check(
            Case {
                paths: &[path],
                mode: Mode::Tests,
                ..Case::default()
            },
            "narration-core",
        );
    }
}

#[test]
fn global_files_affect_every_binary() {
    for path in ["Cargo.toml", "rust-toolchain.toml", ".cargo/config.toml"] {
        check(
            Case {
                paths: &[path],
                ..Case::default()
            },
            &format!(
                "hive-check: global {path}\nhive-probe: global {path}\nrbee-keeper: global \
                 {path}\nqueen-rbee: global {path}\nrbee-hive: global \
                 {path}\nllm-worker-rbee: global {path}\nxtask: global {path}"
            ),
        );
    }
}

#[test]
fn default_ignores_and_markdown_outside_packages_affect_nothing() {
    check(
        Case {
            paths: &[
                "docs/guide.md",
                "LICENSE",
                ".github/workflows/ci.yml",
                "README.md",
            ],
            ..Case::default()
        },
        "",
    );
}

#[test]
fn markdown_inside_a_package_is_that_package_s_file() {
    check(
        Case {
            paths: &["libs/narration-core/README.md"],
            ..Case::default()
        },
        "
hive-check: dependency libs/narration-core/README.md via narration-core -> rbee-hive
hive-probe: dependency libs/narration-core/README.md via narration-core -> rbee-hive
rbee-keeper: dependency libs/narration-core/README.md via narration-core -> rbee-keeper
queen-rbee: dependency libs/narration-core/README.md via narration-core -> queen-rbee
rbee-hive: dependency libs/narration-core/README.md via narration-core -> rbee-hive
llm-worker-rbee: dependency libs/narration-core/README.md via narration-core -> llm-worker-rbee
",
    );
}

#[test]
fn a_file_outside_every_package_affects_every_binary_unless_mapped_or_ignored() {
    let everything = "hive-check: unowned shared/prompts.txt\nhive-probe: unowned \
                      shared/prompts.txt\nrbee-keeper: unowned shared/prompts.txt\nqueen-rbee: unowned \
                      shared/prompts.txt\nrbee-hive: unowned shared/prompts.txt\nllm-worker-rbee: \
                      unowned shared/prompts.txt\nxtask: unowned shared/prompts.txt";
    check(
        Case {
            paths: &["shared/prompts.txt"],
            ..Case::default()
        },
        everything,
    );
    check(
        Case {
            paths: &["shared/prompts.txt"],
            config: Some(serde_json::json!({"owners": {"shared/**": ["hive-lifecycle"]}})),
            ..Case::default()
        },
        "queen-rbee: dependency shared/prompts.txt via hive-lifecycle -> queen-rbee",
    );
    check(
        Case {
            paths: &["shared/prompts.txt"],
            config: Some(serde_json::json!({"ignore": ["shared/**"]})),
            ..Case::default()
        },
        "",
    );
    check(
        Case {
            paths: &["shared/prompts.txt"],
            config: Some(serde_json::json!({"global": ["shared/*.txt"]})),
            ..Case::default()
        },
        &everything.replace("unowned", "global"),
    );
}

#[test]
fn read_maps_decide_for_the_binaries_they_describe() {
    let binary = |name: &str| Binary {
        name: name.to_owned(),
        package: name.to_owned(),
    };
    let mut reads = TrustedReads::default();
    reads.trusted.insert(
        binary("queen-rbee"),
        BTreeSet::from(["shared/prompts.txt".to_owned()]),
    );
    for (name, package) in [
        ("rbee-keeper", "rbee-keeper"),
        ("rbee-hive", "rbee-hive"),
        ("hive-check", "rbee-hive"),
        ("hive-probe", "rbee-hive"),
        ("llm-worker-rbee", "llm-worker-rbee"),
        ("xtask", "xtask"),
    ] {
        let reader = Binary {
            name: name.to_owned(),
            package: package.to_owned(),
        };
        reads.trusted.insert(reader, BTreeSet::new());
    }
    check(
        Case {
            paths: &["shared/prompts.txt"],
            reads: Some(reads.clone()),
            ..Case::default()
        },
        "queen-rbee: read shared/prompts.txt",
    );
    // A binary whose map is not trusted falls back to the rules: it may read the file.
    reads.trusted.remove(&binary("xtask"));
    reads.untrusted.insert(binary("xtask"));
    check(
        Case {
            paths: &["shared/prompts.txt"],
            reads: Some(reads),
            ..Case::default()
        },
        "queen-rbee: read shared/prompts.txt\nxtask: unowned shared/prompts.txt",
    );
}

#[test]
fn test_owners_map_fixtures_onto_the_tests_that_read_them() {
    check(
        Case {
            paths: &["shared/prompts.txt"],
            mode: Mode::Tests,
            config: Some(serde_json::json!({
                "ignore": ["shared/**"],
                "test-owners": {"shared/*.txt": ["job-server"]},
            })),
            ..Case::default()
        },
        "job-server",
    );
}

#[test]
fn a_changed_lock_entry_reaches_the_binaries_that_use_the_crate() {
    check(
        Case {
            lock_entries: &["fastrand"],
            mode: Mode::Tests,
            ..Case::default()
        },
        "job-server",
    );
    check(
        Case {
            lock_entries: &["fastrand"],
            ..Case::default()
        },
        "",
    );
}

#[test]
fn several_paths_give_one_reason_per_kind_and_package_most_direct_first() {
    check(
        Case {
            paths: &[
                "bin/queen-rbee/src/main.rs",
                "libs/job-server/src/lib.rs",
                "libs/narration-core/src/lib.rs",
            ],
            ..Case::default()
        },
        "
hive-check: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
hive-probe: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
rbee-keeper: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-keeper
queen-rbee: path bin/queen-rbee/src/main.rs +2
rbee-hive: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
llm-worker-rbee: dependency libs/narration-core/src/lib.rs via narration-core -> llm-worker-rbee
",
    );
}

/// `why`: which rule classifies a path, naming the glob or package that decided it.
#[test]
fn every_rule_is_named_for_why() {
    let (graph, _, rules) = fixture(serde_json::json!({
        "ignore": ["fuzz/**"],
        "owners": {"shared/**": ["hive-lifecycle"]},
    }));
    let rules = rules.ignoring_outputs(Some("target".to_owned()));
    let cases: &[(&str, PathClass)] = &[
        ("Cargo.toml", PathClass::Global(GlobalRule::WorkspaceFile)),
        ("Cargo.lock", PathClass::LockFile),
        (
            "libs/job-server/src/lib.rs",
            PathClass::Package {
                package: "job-server".to_owned(),
                role: PathRole::Package,
            },
        ),
        (
            "bin/llm-worker-rbee/src/worker.rs",
            PathClass::Package {
                package: "llm-worker-rbee".to_owned(),
                role: PathRole::Binary("llm-worker-rbee".to_owned()),
            },
        ),
        (
            "libs/narration-core/tests/narration.rs",
            PathClass::Package {
                package: "narration-core".to_owned(),
                role: PathRole::TestOnly,
            },
        ),
        (
            "shared/prompts.txt",
            PathClass::Owners {
                packages: vec!["hive-lifecycle".to_owned()],
                globs: vec!["shared/**".to_owned()],
            },
        ),
        (
            "docs/guide.md",
            PathClass::Ignored(IgnoreRule::Glob {
                pattern: "docs/**".to_owned(),
                configured: false,
            }),
        ),
        (
            "fuzz/a.rs",
            PathClass::Ignored(IgnoreRule::Glob {
                pattern: "fuzz/**".to_owned(),
                configured: true,
            }),
        ),
        (
            "NOTES.md",
            PathClass::Ignored(IgnoreRule::OutsidePackages("*.md".to_owned())),
        ),
        (
            "target/debug/queen-rbee",
            PathClass::Ignored(IgnoreRule::BuildOutput),
        ),
        ("tools/gen.py", PathClass::Unowned),
    ];
    for (path, expected) in cases {
        assert_eq!(&rules.explain(&graph, path), expected, "{path}");
    }
}

/// The configuration's names are checked against the workspace: unknown ones are reported,
/// not fatal; a spawn cycle is.
#[test]
fn configured_names_are_checked() {
    let (graph, _, _) = fixture(serde_json::json!({}));
    let config = Config::from_workspace_metadata(&serde_json::json!({"rbee-graph": {
        "spawns": {"queen-rbee": ["rbee-hvie"]},
        "owners": {"shared/**": ["no-such-package"]},
    }}))
    .unwrap();
    let unknown: Vec<(&str, String)> = config
        .check_names(&graph)
        .unwrap()
        .into_iter()
        .map(|u| (u.key, u.name))
        .collect();
    assert_eq!(
        unknown,
        [
            ("spawns", "rbee-hvie".to_owned()),
            ("owners", "no-such-package".to_owned())
        ]
    );
    let cycle = Config::from_workspace_metadata(&serde_json::json!({"rbee-graph": {
        "spawns": {"queen-rbee": ["rbee-hive"], "rbee-hive": ["queen-rbee"]},
    }}))
    .unwrap();
    let error = cycle.check_names(&graph).unwrap_err().to_string();
    assert!(
        error.starts_with("invalid configuration `workspace.metadata.rbee-graph.spawns`"),
        "{error}"
    );
}
