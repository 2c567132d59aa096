//! `[workspace.metadata.rbee-graph]` in the rules on the rbee fixture: `owners`, `ignore` and
//! `global` globs, `test-owners`, read maps, the names the configuration uses, and `why`.

use std::collections::BTreeSet;

use rbee_graph_model::rules::{Config, GlobalRule, IgnoreRule, Mode, PathClass, TrustedReads};
use rbee_graph_model::{Binary, PathRole};

use crate::common::{Case, check, workspace};

fn configured(config: serde_json::Value, expect: &str) {
    check(
        Case {
            paths: &["shared/prompts.txt"],
            config: Some(config),
            ..Case::default()
        },
        expect,
    );
}

#[test]
fn a_file_outside_every_package_is_mapped_ignored_or_global_by_configuration() {
    configured(
        serde_json::json!({"owners": {"shared/**": ["hive-lifecycle"]}}),
        "
packages: hive-lifecycle queen-rbee
queen-rbee: dependency shared/prompts.txt via hive-lifecycle -> queen-rbee
",
    );
    configured(serde_json::json!({"ignore": ["shared/**"]}), "");
    configured(serde_json::json!({"global": ["shared/*.txt"]}), "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): global shared/prompts.txt
hive-probe (rbee-hive): global shared/prompts.txt
rbee-keeper: global shared/prompts.txt
queen-rbee: global shared/prompts.txt
rbee-hive: global shared/prompts.txt
llm-worker-rbee: global shared/prompts.txt
xtask: global shared/prompts.txt
");
    // `*` does not cross `/`.
    configured(serde_json::json!({"global": ["*.txt"]}), "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): unowned shared/prompts.txt
hive-probe (rbee-hive): unowned shared/prompts.txt
rbee-keeper: unowned shared/prompts.txt
queen-rbee: unowned shared/prompts.txt
rbee-hive: unowned shared/prompts.txt
llm-worker-rbee: unowned shared/prompts.txt
xtask: unowned shared/prompts.txt
");
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
        "
packages: queen-rbee
queen-rbee: read shared/prompts.txt
",
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
        "
packages: queen-rbee xtask
queen-rbee: read shared/prompts.txt
xtask: unowned shared/prompts.txt
",
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
        "packages: job-server",
    );
}

/// `why`: which rule classifies a path, naming the glob or package that decided it.
#[test]
fn every_rule_is_named_for_why() {
    let (graph, _, rules) = workspace(&Case {
        config: Some(serde_json::json!({
            "ignore": ["fuzz/**"],
            "owners": {"shared/**": ["hive-lifecycle"]},
        })),
        ..Case::default()
    });
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
    let (graph, _, _) = workspace(&Case::default());
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
