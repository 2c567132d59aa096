//! Path rules 3 to 5 on the rbee fixture: files of member packages, ignored files and files
//! outside every package.

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
}

#[test]
fn a_second_module_file_counts_like_lib_rs() {
    let path = "libs/narration-core/src/fmt.rs";
    let v = after_touching(&[], &[path]);
    assert_eq!(changed(&v), [path]);
    assert_eq!(bins(&v), all_but_xtask());
}

#[test]
fn affected_binaries_follow_the_spawn_cascade() {
    // Build order: a spawner before what it spawns (rbee-keeper -> queen-rbee -> rbee-hive ->
    // llm-worker-rbee, from [workspace.metadata.rbee-graph] in the fixture).
    let v = after_touching(&[], &["libs/narration-core/src/lib.rs"]);
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

#[test]
fn daemon_lifecycle_reaches_keeper_queen_and_hive() {
    let path = "libs/daemon-lifecycle/src/lib.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(
        &v,
        path,
        "daemon-lifecycle",
        &[
            ("rbee-keeper", "rbee-keeper"),
            ("queen-rbee", "queen-rbee"),
            ("rbee-hive", "rbee-hive"),
            ("hive-check", "rbee-hive"),
            ("hive-probe", "rbee-hive"),
        ],
    );
    assert_eq!(
        package_set(&v),
        names(&[
            "daemon-lifecycle",
            "hive-lifecycle",
            "rbee-keeper",
            "queen-rbee",
            "rbee-hive"
        ])
    );
    // queen-rbee reaches daemon-lifecycle only through hive-lifecycle.
    let reason = assert_reason(
        &v,
        ("queen-rbee", "queen-rbee"),
        "dependency",
        Some("daemon-lifecycle"),
        path,
    );
    assert_eq!(
        reason.chain,
        ["daemon-lifecycle", "hive-lifecycle", "queen-rbee"]
    );
}

#[test]
fn a_member_manifest_counts_for_its_package() {
    let path = "libs/hive-lifecycle/Cargo.toml";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "hive-lifecycle", &[("queen-rbee", "queen-rbee")]);
    assert_eq!(packages(&v), ["hive-lifecycle", "queen-rbee"]);
}

// --- Files of one binary target. -------------------------------------------------------------

#[test]
fn queen_main_rs_affects_only_queen() {
    let path = "bin/queen-rbee/src/main.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "queen-rbee", &[("queen-rbee", "queen-rbee")]);
    assert_eq!(packages(&v), ["queen-rbee"]);
}

#[test]
fn queen_lib_rs_affects_only_queen() {
    // Nothing depends on queen-rbee, so its library reaches only its own binary.
    let path = "bin/queen-rbee/src/lib.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "queen-rbee", &[("queen-rbee", "queen-rbee")]);
    assert_eq!(packages(&v), ["queen-rbee"]);
}

#[test]
fn keeper_main_rs_of_a_bin_only_package() {
    let path = "bin/rbee-keeper/src/main.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "rbee-keeper", &[("rbee-keeper", "rbee-keeper")]);
}

#[test]
fn hive_main_rs_affects_only_the_rbee_hive_bin() {
    let path = "bin/rbee-hive/src/main.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "rbee-hive", &[("rbee-hive", "rbee-hive")]);
}

#[test]
fn hive_check_affects_only_hive_check() {
    let path = "bin/rbee-hive/src/bin/hive-check.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "rbee-hive", &[("hive-check", "rbee-hive")]);
    assert_eq!(packages(&v), ["rbee-hive"]);
}

#[test]
fn a_module_of_a_directory_bin_affects_only_that_bin() {
    let path = "bin/rbee-hive/src/bin/hive-probe/util.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "rbee-hive", &[("hive-probe", "rbee-hive")]);
}

#[test]
fn a_new_file_in_a_directory_bin_affects_only_that_bin() {
    let path = "bin/rbee-hive/src/bin/hive-probe/extra.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(&v, path, "rbee-hive", &[("hive-probe", "rbee-hive")]);
}

#[test]
fn hive_lib_affects_all_three_hive_bins() {
    let path = "bin/rbee-hive/src/lib.rs";
    let v = after_touching(&[], &[path]);
    assert_eq!(changed(&v), [path]);
    assert_eq!(bins(&v), hive_bins());
    for (bin, package) in hive_bins() {
        assert_reason(&v, (&bin, &package), "path", Some("rbee-hive"), path);
    }
    assert_eq!(packages(&v), ["rbee-hive"]);
}

#[test]
fn two_bin_files_affect_both_bins_only() {
    let (check, probe) = (
        "bin/rbee-hive/src/bin/hive-check.rs",
        "bin/rbee-hive/src/bin/hive-probe/main.rs",
    );
    let v = after_touching(&[], &[check, probe]);
    assert_eq!(changed(&v), sorted(&[check, probe]));
    assert_eq!(
        bins(&v),
        pairs(&[("hive-check", "rbee-hive"), ("hive-probe", "rbee-hive")])
    );
}

#[test]
fn the_explicit_path_of_a_bin_affects_only_that_bin() {
    let path = "bin/llm-worker-rbee/src/worker.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(
        &v,
        path,
        "llm-worker-rbee",
        &[("llm-worker-rbee", "llm-worker-rbee")],
    );
}

#[test]
fn worker_lib_affects_the_worker() {
    let path = "bin/llm-worker-rbee/src/lib.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(
        &v,
        path,
        "llm-worker-rbee",
        &[("llm-worker-rbee", "llm-worker-rbee")],
    );
}

// --- Build scripts and build dependencies. ---------------------------------------------------

#[test]
fn a_build_script_affects_its_package() {
    let path = "bin/llm-worker-rbee/build.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(
        &v,
        path,
        "llm-worker-rbee",
        &[("llm-worker-rbee", "llm-worker-rbee")],
    );
}

#[test]
fn a_build_dependency_affects_its_dependent() {
    let path = "libs/build-info/src/lib.rs";
    let v = after_touching(&[], &[path]);
    assert_owned(
        &v,
        path,
        "build-info",
        &[("llm-worker-rbee", "llm-worker-rbee")],
    );
    let reason = assert_reason(
        &v,
        ("llm-worker-rbee", "llm-worker-rbee"),
        "dependency",
        Some("build-info"),
        path,
    );
    assert_eq!(reason.chain, ["build-info", "llm-worker-rbee"]);
    assert_eq!(packages(&v), ["build-info", "llm-worker-rbee"]);
}

// --- Dev dependencies, tests, benches and examples. ------------------------------------------

#[test]
fn a_dev_only_library_affects_no_binary() {
    let v = after_touching(&[], &["libs/test-harness/src/lib.rs"]);
    assert_eq!(changed(&v), ["libs/test-harness/src/lib.rs"]);
    assert_eq!(bins(&v), pairs(&[]));
    assert_eq!(packages(&v), ["test-harness"]);
}

#[test]
fn a_dev_only_library_affects_its_dev_dependents_tests_only() {
    // job-server and xtask dev-depend on test-harness. queen-rbee depends on job-server, but a
    // dev edge does not propagate: queen-rbee's tests are not affected. (No order is asserted:
    // dev edges may form cycles, so they cannot order packages.)
    let v = after_touching(&["--tests"], &["libs/test-harness/src/lib.rs"]);
    assert_eq!(changed(&v), ["libs/test-harness/src/lib.rs"]);
    assert_eq!(bins(&v), pairs(&[]));
    assert_eq!(
        package_set(&v),
        names(&["test-harness", "job-server", "xtask"])
    );
}

#[test]
fn tests_benches_and_examples_affect_no_binary() {
    for path in [
        "libs/narration-core/tests/narration.rs",
        "libs/narration-core/benches/throughput.rs",
        "libs/narration-core/examples/demo.rs",
        "libs/narration-core/tests/new_test.rs",
    ] {
        let v = after_touching(&[], &[path]);
        assert_eq!(changed(&v), [path]);
        assert_eq!(bins(&v), pairs(&[]), "{path}");
        assert_eq!(packages(&v), Vec::<String>::new(), "{path}");
    }
}

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

#[test]
fn with_tests_a_source_change_adds_no_binary() {
    let path = "libs/daemon-lifecycle/src/lib.rs";
    let v = after_touching(&["--tests"], &[path]);
    assert_eq!(
        bins(&v),
        pairs(&[
            ("rbee-keeper", "rbee-keeper"),
            ("queen-rbee", "queen-rbee"),
            ("rbee-hive", "rbee-hive"),
            ("hive-check", "rbee-hive"),
            ("hive-probe", "rbee-hive"),
        ]),
        "the same binaries as without --tests"
    );
    assert_eq!(
        package_set(&v),
        names(&[
            "daemon-lifecycle",
            "hive-lifecycle",
            "rbee-keeper",
            "queen-rbee",
            "rbee-hive"
        ])
    );
}

#[test]
fn with_tests_a_bin_change_tests_its_package() {
    let v = after_touching(&["--tests"], &["bin/rbee-hive/src/bin/hive-check.rs"]);
    assert_eq!(bins(&v), pairs(&[("hive-check", "rbee-hive")]));
    assert_eq!(packages(&v), ["rbee-hive"]);
}

// --- READMEs inside packages, ignored files, unowned files. ----------------------------------

#[test]
fn a_readme_inside_a_package_belongs_to_the_package() {
    let path = "bin/rbee-hive/README.md";
    let v = after_touching(&[], &[path]);
    assert_eq!(changed(&v), [path]);
    assert_eq!(bins(&v), hive_bins());
    for (bin, package) in hive_bins() {
        assert_reason(&v, (&bin, &package), "path", Some("rbee-hive"), path);
    }
}

#[test]
fn a_library_readme_reaches_the_librarys_dependents() {
    let path = "libs/narration-core/README.md";
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
}

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

#[test]
fn a_new_unowned_file_affects_every_binary() {
    let path = "config/models.toml";
    let v = after_touching(&[], &[path]);
    assert_eq!(changed(&v), [path]);
    assert_eq!(bins(&v), all_rbee_bins());
    assert_every_reason(&v, "unowned", None, path);
}
