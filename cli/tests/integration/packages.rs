//! Path rules 3 to 5 on the rbee fixture, end to end: a file of a library, of one binary, of
//! tests only, ignored files and a file outside every package. Every other case of these rules
//! is in the fast layer, `graph/tests/rules/packages.rs`, over the same fixture's metadata.

use rbee_graph_testdata::Repo;

use crate::util::*;

/// Edits each of `paths` in a fresh rbee repository (see [`affected_after`]).
fn after_touching(extra: &[&str], paths: &[&str]) -> serde_json::Value {
    let repo = Repo::from_fixture("rbee");
    affected_after(&repo, extra, |r| {
        for path in paths {
            touch(r, path);
        }
    })
}

/// Asserts that the only change is `path`, which affects exactly `expected`, every one of them
/// with a reason naming `path`: kind `path` for binaries of `owner`, `dependency` otherwise.
fn assert_owned(v: &serde_json::Value, path: &str, owner: &str, expected: &[(&str, &str)]) {
    assert_eq!(changed(v), [path]);
    assert_eq!(bins(v), pairs(expected));
    for (bin, package) in expected {
        let kind = if *package == owner {
            "path"
        } else {
            "dependency"
        };
        assert_reason(v, (bin, package), kind, Some(owner), path);
    }
    assert_chains_follow(v, RBEE_EDGES);
    assert_dependencies_first(&packages(v), RBEE_EDGES);
}

// --- Sources of libraries reach every dependent. ---------------------------------------------

#[test]
fn narration_core_reaches_every_binary_but_xtask() {
    let path = "libs/narration-core/src/lib.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(
        &v,
        path,
        "narration-core",
        &[
            ("rbee-keeper", "rbee-keeper"),
            ("queen-rbee", "queen-rbee"),
            ("rbee-hive", "rbee-hive"),
            ("hive-check", "rbee-hive"),
            ("hive-probe", "rbee-hive"),
            ("llm-worker-rbee", "llm-worker-rbee"),
        ],
    );
    assert_eq!(
        package_set(&v),
        names(&[
            "narration-core",
            "daemon-lifecycle",
            "job-server",
            "hive-lifecycle",
            "rbee-keeper",
            "queen-rbee",
            "rbee-hive",
            "llm-worker-rbee",
        ])
    );
    assert_eq!(
        packages(&v)[0],
        "narration-core",
        "the changed package comes first"
    );
    // Build order: a spawner before what it spawns (rbee-keeper -> queen-rbee -> rbee-hive ->
    // llm-worker-rbee, from [workspace.metadata.rbee-graph] in the fixture).
    let order: Vec<String> = bin_list(&v).into_iter().map(|(bin, _)| bin).collect();
    assert_dependencies_first(
        &order,
        &[
            ("rbee-keeper", "queen-rbee"),
            ("queen-rbee", "rbee-hive"),
            ("rbee-hive", "llm-worker-rbee"),
        ],
    );
}

// --- Files of one binary target. -------------------------------------------------------------

#[test]
fn hive_check_affects_only_hive_check() {
    let path = "bin/rbee-hive/src/bin/hive-check.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "rbee-hive", &[("hive-check", "rbee-hive")]);
    assert_eq!(packages(&v), ["rbee-hive"]);
}

// --- Dev dependencies, tests, benches and examples. ------------------------------------------

#[test]
fn tests_benches_and_examples_count_for_their_package_with_tests() {
    for path in [
        "libs/narration-core/tests/narration.rs",
        "libs/narration-core/benches/throughput.rs",
        "libs/narration-core/examples/demo.rs",
    ] {
        let v = after_touching(&["--tests"], &[path]);
        assert_eq!(changed(&v), [path]);
        assert_eq!(bins(&v), pairs(&[]), "{path}");
        assert_eq!(
            packages(&v),
            ["narration-core"],
            "{path}: nothing else runs its tests"
        );
    }
}

// --- READMEs inside packages, ignored files, unowned files. ----------------------------------

#[test]
fn ignored_files_affect_nothing() {
    let paths = [
        "README.md",
        "CONTRIBUTING.md",
        "docs/guide.md",
        "docs/images/cascade.svg",
        ".github/workflows/ci.yml",
        "LICENSE",
        "LICENSE-APACHE",
        ".gitignore",
        ".gitattributes",
        ".editorconfig",
    ];
    let v = after_touching(&[], &paths);
    assert_eq!(changed(&v), sorted(&paths));
    assert_eq!(bins(&v), pairs(&[]));
    assert_eq!(packages(&v), Vec::<String>::new());
}

#[test]
fn an_unowned_file_affects_every_binary() {
    let path = "shared/prompts.txt";
    let v = after_touching(&[], &[path]);
    assert_eq!(changed(&v), [path]);
    assert_eq!(bins(&v), all_rbee_bins());
    assert_every_reason(&v, "unowned", None, path);
}
