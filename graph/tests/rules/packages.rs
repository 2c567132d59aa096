//! Path rules 3 to 5 on the rbee fixture: files of member packages (shared, one binary's,
//! test-only), ignored files and files outside every package.

use rbee_graph_model::rules::Mode;

use crate::common::{Case, check};

fn paths(paths: &[&str], expect: &str) {
    check(
        Case {
            paths,
            ..Case::default()
        },
        expect,
    );
}

fn tests(paths: &[&str], expect: &str) {
    check(
        Case {
            paths,
            mode: Mode::Tests,
            ..Case::default()
        },
        expect,
    );
}

// --- Sources of libraries reach every dependent. ---------------------------------------------

#[test]
fn a_shared_library_reaches_every_binary_built_from_it_in_spawn_order() {
    // Packages in build order, the changed one first; binaries in build order, a spawner before
    // what it spawns (rbee-keeper -> queen-rbee -> rbee-hive -> llm-worker-rbee).
    paths(&["libs/narration-core/src/lib.rs"], "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
hive-probe (rbee-hive): dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
rbee-keeper: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-keeper
queen-rbee: dependency libs/narration-core/src/lib.rs via narration-core -> queen-rbee
rbee-hive: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
llm-worker-rbee: dependency libs/narration-core/src/lib.rs via narration-core -> llm-worker-rbee
");
}

#[test]
fn a_second_module_file_counts_like_lib_rs() {
    paths(&["libs/narration-core/src/fmt.rs"], "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): dependency libs/narration-core/src/fmt.rs via narration-core -> rbee-hive
hive-probe (rbee-hive): dependency libs/narration-core/src/fmt.rs via narration-core -> rbee-hive
rbee-keeper: dependency libs/narration-core/src/fmt.rs via narration-core -> rbee-keeper
queen-rbee: dependency libs/narration-core/src/fmt.rs via narration-core -> queen-rbee
rbee-hive: dependency libs/narration-core/src/fmt.rs via narration-core -> rbee-hive
llm-worker-rbee: dependency libs/narration-core/src/fmt.rs via narration-core -> llm-worker-rbee
");
}

#[test]
fn a_library_reaches_its_dependents_through_the_shortest_chain() {
    // queen-rbee reaches daemon-lifecycle only through hive-lifecycle.
    paths(&["libs/daemon-lifecycle/src/lib.rs"], "
packages: daemon-lifecycle hive-lifecycle queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> rbee-hive
hive-probe (rbee-hive): dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> rbee-hive
rbee-keeper: dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> rbee-keeper
queen-rbee: dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> hive-lifecycle -> queen-rbee
rbee-hive: dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> rbee-hive
");
}

#[test]
fn a_library_one_binary_uses_reaches_only_that_binary_with_its_chain() {
    paths(
        &["libs/hive-lifecycle/src/lib.rs"],
        "
packages: hive-lifecycle queen-rbee
queen-rbee: dependency libs/hive-lifecycle/src/lib.rs via hive-lifecycle -> queen-rbee
",
    );
}

#[test]
fn a_member_manifest_counts_for_its_package() {
    paths(
        &["libs/hive-lifecycle/Cargo.toml"],
        "
packages: hive-lifecycle queen-rbee
queen-rbee: dependency libs/hive-lifecycle/Cargo.toml via hive-lifecycle -> queen-rbee
",
    );
}

// --- Files of one binary target. -------------------------------------------------------------

#[test]
fn a_binary_s_main_rs_affects_only_that_binary() {
    paths(
        &["bin/queen-rbee/src/main.rs"],
        "
packages: queen-rbee
queen-rbee: path bin/queen-rbee/src/main.rs
",
    );
    // A package with a bin and no lib.
    paths(
        &["bin/rbee-keeper/src/main.rs"],
        "
packages: rbee-keeper
rbee-keeper: path bin/rbee-keeper/src/main.rs
",
    );
    // rbee-hive has three bins: `src/main.rs` is one of them.
    paths(
        &["bin/rbee-hive/src/main.rs"],
        "
packages: rbee-hive
rbee-hive: path bin/rbee-hive/src/main.rs
",
    );
}

#[test]
fn a_lib_nothing_depends_on_affects_only_its_own_binaries() {
    paths(
        &["bin/queen-rbee/src/lib.rs"],
        "
packages: queen-rbee
queen-rbee: path bin/queen-rbee/src/lib.rs
",
    );
    paths(
        &["bin/llm-worker-rbee/src/lib.rs"],
        "
packages: llm-worker-rbee
llm-worker-rbee: path bin/llm-worker-rbee/src/lib.rs
",
    );
    paths(
        &["bin/rbee-hive/src/lib.rs"],
        "
packages: rbee-hive
hive-check (rbee-hive): path bin/rbee-hive/src/lib.rs
hive-probe (rbee-hive): path bin/rbee-hive/src/lib.rs
rbee-hive: path bin/rbee-hive/src/lib.rs
",
    );
}

#[test]
fn a_file_in_src_bin_affects_only_that_binary() {
    paths(
        &["bin/rbee-hive/src/bin/hive-check.rs"],
        "
packages: rbee-hive
hive-check (rbee-hive): path bin/rbee-hive/src/bin/hive-check.rs
",
    );
    // A module of a directory bin, and a new file there.
    paths(
        &["bin/rbee-hive/src/bin/hive-probe/util.rs"],
        "
packages: rbee-hive
hive-probe (rbee-hive): path bin/rbee-hive/src/bin/hive-probe/util.rs
",
    );
    paths(
        &["bin/rbee-hive/src/bin/hive-probe/extra.rs"],
        "
packages: rbee-hive
hive-probe (rbee-hive): path bin/rbee-hive/src/bin/hive-probe/extra.rs
",
    );
}

#[test]
fn two_bin_files_affect_both_bins_only() {
    paths(
        &[
            "bin/rbee-hive/src/bin/hive-check.rs",
            "bin/rbee-hive/src/bin/hive-probe/main.rs",
        ],
        "
packages: rbee-hive
hive-check (rbee-hive): path bin/rbee-hive/src/bin/hive-check.rs
hive-probe (rbee-hive): path bin/rbee-hive/src/bin/hive-probe/main.rs
",
    );
}

#[test]
fn the_explicit_path_of_a_bin_affects_only_that_bin() {
    paths(
        &["bin/llm-worker-rbee/src/worker.rs"],
        "
packages: llm-worker-rbee
llm-worker-rbee: path bin/llm-worker-rbee/src/worker.rs
",
    );
}

// --- Build scripts and build dependencies. ---------------------------------------------------

#[test]
fn a_build_script_affects_its_package() {
    paths(
        &["bin/llm-worker-rbee/build.rs"],
        "
packages: llm-worker-rbee
llm-worker-rbee: path bin/llm-worker-rbee/build.rs
",
    );
}

#[test]
fn a_build_dependency_reaches_its_dependent() {
    paths(
        &["libs/build-info/src/lib.rs"],
        "
packages: build-info llm-worker-rbee
llm-worker-rbee: dependency libs/build-info/src/lib.rs via build-info -> llm-worker-rbee
",
    );
}

// --- Dev dependencies, tests, benches and examples. ------------------------------------------

#[test]
fn a_dev_dependency_reaches_no_binary_but_runs_the_tests_of_its_dependents() {
    paths(&["libs/test-harness/src/lib.rs"], "packages: test-harness");
    // job-server and xtask dev-depend on test-harness. queen-rbee depends on job-server, but a
    // dev edge does not propagate: queen-rbee's tests are not affected.
    tests(
        &["libs/test-harness/src/lib.rs"],
        "packages: job-server test-harness xtask",
    );
}

#[test]
fn test_only_files_affect_tests_and_no_binary() {
    for path in [
        "libs/narration-core/tests/narration.rs",
        "libs/narration-core/tests/new_test.rs",
        "libs/narration-core/benches/bench.rs",
        "libs/narration-core/benches/throughput.rs",
        "libs/narration-core/examples/demo.rs",
    ] {
        paths(&[path], "");
        // Nothing else runs its tests.
        tests(&[path], "packages: narration-core");
    }
}

#[test]
fn with_tests_a_source_change_adds_no_binary() {
    tests(&["libs/daemon-lifecycle/src/lib.rs"], "
packages: daemon-lifecycle hive-lifecycle queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> rbee-hive
hive-probe (rbee-hive): dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> rbee-hive
rbee-keeper: dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> rbee-keeper
queen-rbee: dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> hive-lifecycle -> queen-rbee
rbee-hive: dependency libs/daemon-lifecycle/src/lib.rs via daemon-lifecycle -> rbee-hive
");
    tests(
        &["bin/rbee-hive/src/bin/hive-check.rs"],
        "
packages: rbee-hive
hive-check (rbee-hive): path bin/rbee-hive/src/bin/hive-check.rs
",
    );
}

// --- Markdown inside packages, ignored files, unowned files. ---------------------------------

#[test]
fn markdown_inside_a_package_is_that_package_s_file() {
    paths(&["libs/narration-core/README.md"], "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): dependency libs/narration-core/README.md via narration-core -> rbee-hive
hive-probe (rbee-hive): dependency libs/narration-core/README.md via narration-core -> rbee-hive
rbee-keeper: dependency libs/narration-core/README.md via narration-core -> rbee-keeper
queen-rbee: dependency libs/narration-core/README.md via narration-core -> queen-rbee
rbee-hive: dependency libs/narration-core/README.md via narration-core -> rbee-hive
llm-worker-rbee: dependency libs/narration-core/README.md via narration-core -> llm-worker-rbee
");
    paths(
        &["bin/rbee-hive/README.md"],
        "
packages: rbee-hive
hive-check (rbee-hive): path bin/rbee-hive/README.md
hive-probe (rbee-hive): path bin/rbee-hive/README.md
rbee-hive: path bin/rbee-hive/README.md
",
    );
}

#[test]
fn default_ignores_and_markdown_outside_packages_affect_nothing() {
    paths(
        &[
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
        ],
        "",
    );
}

#[test]
fn a_file_outside_every_package_affects_every_binary() {
    paths(&["shared/prompts.txt"], "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): unowned shared/prompts.txt
hive-probe (rbee-hive): unowned shared/prompts.txt
rbee-keeper: unowned shared/prompts.txt
queen-rbee: unowned shared/prompts.txt
rbee-hive: unowned shared/prompts.txt
llm-worker-rbee: unowned shared/prompts.txt
xtask: unowned shared/prompts.txt
");
    // A new one too.
    paths(&["config/models.toml"], "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): unowned config/models.toml
hive-probe (rbee-hive): unowned config/models.toml
rbee-keeper: unowned config/models.toml
queen-rbee: unowned config/models.toml
rbee-hive: unowned config/models.toml
llm-worker-rbee: unowned config/models.toml
xtask: unowned config/models.toml
");
}

#[test]
fn several_paths_give_one_reason_per_kind_and_package_most_direct_first() {
    paths(
        &[
            "bin/queen-rbee/src/main.rs",
            "libs/job-server/src/lib.rs",
            "libs/narration-core/src/lib.rs",
        ],
        "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
hive-probe (rbee-hive): dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
rbee-keeper: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-keeper
queen-rbee: path bin/queen-rbee/src/main.rs; dependency libs/job-server/src/lib.rs via job-server -> queen-rbee; dependency libs/narration-core/src/lib.rs via narration-core -> queen-rbee
rbee-hive: dependency libs/narration-core/src/lib.rs via narration-core -> rbee-hive
llm-worker-rbee: dependency libs/narration-core/src/lib.rs via narration-core -> llm-worker-rbee
",
    );
}
