//! What the CI recipe in `docs/ci.md` relies on: an empty matrix when nothing is affected (the
//! workflow skips the matrix job on it), and a one-line error with exit status 2 in a shallow
//! clone that lacks the merge base, saying to fetch more history.

use std::collections::BTreeSet;
use std::process::Command;

use rbee_graph_testdata::{Repo, configure_git_env, tempfile};

use crate::util::*;

#[test]
fn nothing_affected_is_an_empty_matrix() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "docs/guide.md");
    repo.commit("docs");
    let out = run(
        &repo,
        &[
            "affected",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--format",
            "github-matrix",
        ],
    );
    assert_eq!(out.success(), "{\"include\":[]}\n", "{out:#?}");
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let mut cmd = Command::new("git");
    configure_git_env(&mut cmd);
    let out = cmd
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn shallow_clone_without_the_merge_base_says_to_fetch_more() {
    // main: initial -> m1; feature (from initial): f1. A depth-1 clone of feature that also
    // fetches main at depth 1 has neither side's parent: no merge base.
    let repo = Repo::from_fixture("rbee");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    touch(&repo, "libs/narration-core/src/lib.rs");
    repo.commit("f1");
    repo.git(&["checkout", "-q", "main"]);
    touch(&repo, "bin/queen-rbee/src/main.rs");
    repo.commit("m1");

    let dir = tempfile::Builder::new()
        .prefix("rbee-graph-shallow-")
        .tempdir()
        .expect("a temporary directory");
    let clone = dir.path().canonicalize().expect("canonical").join("clone");
    let url = format!("file://{}", repo.root().display());
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "feature",
            &url,
            clone.to_str().expect("UTF-8"),
        ],
    );
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "main:refs/remotes/origin/main",
        ],
    );

    let out = run_in(
        &repo,
        &clone,
        &[
            "affected",
            "--base",
            "origin/main",
            "--format",
            "github-matrix",
        ],
        &[],
    );
    assert_bad_input(&out);
    assert!(out.stderr.contains("shallow"), "{out:#?}");
    assert!(out.stderr.contains("fetch-depth: 0"), "{out:#?}");
    assert!(out.stdout.is_empty(), "{out:#?}");

    // With the history, the same command works.
    git(&clone, &["fetch", "-q", "--unshallow", "origin"]);
    git(
        &clone,
        &["fetch", "-q", "origin", "main:refs/remotes/origin/main"],
    );
    let out = run_in(
        &repo,
        &clone,
        &[
            "affected",
            "--base",
            "origin/main",
            "--format",
            "github-matrix",
        ],
        &[],
    );
    let matrix: serde_json::Value =
        serde_json::from_str(out.success()).expect("the matrix is JSON");
    assert_eq!(matrix_bins(&matrix), all_but_xtask(), "{matrix:#}");
}

#[test]
fn an_all_zeros_base_is_bad_input_that_says_what_to_do() {
    let repo = Repo::from_fixture("rbee");
    let zeros = "0000000000000000000000000000000000000000";
    let run = run(&repo, &["affected", "--base", zeros]);
    assert_bad_input(&run);
    assert!(
        run.stderr.contains("all zeros") && run.stderr.contains("--if-base-missing all"),
        "{run:#?}"
    );
}

#[test]
fn if_base_missing_all_answers_every_binary_with_the_reason() {
    let repo = Repo::from_fixture("rbee");
    for base in ["0000000000000000000000000000000000000000", "no-such-branch"] {
        let v = run(
            &repo,
            &[
                "affected",
                "--base",
                base,
                "--if-base-missing",
                "all",
                "--format",
                "json",
            ],
        )
        .json();
        assert_eq!(bins(&v), all_rbee_bins(), "{base}: {v:#}");
        for b in v["affected_binaries"].as_array().expect("binaries") {
            assert_eq!(b["reasons"][0]["kind"], "unknown-base", "{b:#}");
            assert_eq!(b["reasons"][0]["detail"], base, "{b:#}");
        }
    }
    // A base that exists is compared as always.
    let v = run(
        &repo,
        &[
            "affected",
            "--base",
            "HEAD",
            "--if-base-missing",
            "all",
            "--format",
            "json",
        ],
    )
    .json();
    assert_eq!(bins(&v), BTreeSet::new(), "{v:#}");
}

#[test]
fn a_workspace_cargo_cannot_load_at_one_end_is_read_with_the_other_ends_graph() {
    let repo = Repo::from_fixture("rbee");
    repo.write(
        "libs/broken/Cargo.toml",
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies\n",
    );
    repo.write("libs/broken/src/lib.rs", "");
    repo.commit("a broken member");
    repo.write(
        "libs/broken/Cargo.toml",
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    repo.commit("fix it");
    // The base is broken, the head is fine; then the head is broken.
    for (base, head) in [("HEAD~1", "HEAD"), ("HEAD~2", "HEAD~1")] {
        let run = run(
            &repo,
            &[
                "affected", "--base", base, "--head", head, "--format", "json",
            ],
        );
        let v = run.json();
        check_schema(&v);
        assert!(
            run.stderr.contains("failed to load manifest") || run.stderr.contains("broken"),
            "a warning says which end could not be loaded: {run:#?}"
        );
        assert!(
            !run.stderr.contains("rbee-graph-"),
            "no temporary paths in messages: {run:#?}"
        );
    }
}

#[test]
fn a_commit_whose_tree_holds_a_symlinked_source_directory_loads() {
    let repo = Repo::from_fixture("rbee");
    repo.write(
        "libs/mirror/Cargo.toml",
        "[package]\nname = \"mirror\"\nversion.workspace = true\nedition.workspace = true\n\n[dependencies]\nitoa = \"1\"\n",
    );
    std::os::unix::fs::symlink("../narration-core/src", repo.path("libs/mirror/src"))
        .expect("link");
    repo.commit("mirror builds narration-core's sources through a symlink");
    repo.append("libs/mirror/Cargo.toml", "# touched\n");
    repo.commit("touch the manifest, so both ends' graphs are read from their trees");
    let run = run(
        &repo,
        &[
            "affected", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
        ],
    );
    let v = run.json();
    assert!(
        !run.stderr.contains("failed"),
        "both ends load as they are, symlink included: {run:#?}"
    );
    assert!(
        package_set(&v).contains("mirror"),
        "the package whose manifest changed is affected: {v:#}"
    );
}

#[test]
fn an_unknown_base_in_a_full_clone_has_no_shallow_clone_hint() {
    let repo = Repo::from_fixture("rbee");
    let run = run(&repo, &["affected", "--base", "no-such-branch"]);
    assert_bad_input(&run);
    assert!(
        !run.stderr.contains("shallow") && !run.stderr.contains("input="),
        "{run:#?}"
    );
    assert!(run.stderr.contains("check the name"), "{run:#?}");
}

#[test]
fn cargo_args_select_every_affected_binary_for_one_cargo_build() {
    let repo = Repo::from_fixture("rbee");
    repo.append("bin/rbee-hive/src/main.rs", "\n// edited\n");
    repo.commit("edit rbee-hive's main");
    let args = run(
        &repo,
        &[
            "affected",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--format",
            "cargo-args",
        ],
    )
    .success()
    .trim()
    .to_owned();
    assert_eq!(
        args, "-p rbee-hive --bin rbee-hive",
        "only the main binary's own source"
    );
    let out = command(real_cargo(), &repo)
        .arg("build")
        .args(args.split(' '))
        .current_dir(repo.workspace())
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(repo.workspace().join("target/debug/rbee-hive").is_file());

    let tests = run(
        &repo,
        &[
            "affected",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--tests",
            "--format",
            "cargo-args",
        ],
    );
    assert_eq!(tests.success().trim(), "-p rbee-hive");
    let none = run(
        &repo,
        &[
            "affected",
            "--base",
            "HEAD",
            "--head",
            "HEAD",
            "--format",
            "cargo-args",
        ],
    );
    assert_eq!(none.success(), "\n", "nothing affected: an empty line");
}

#[test]
fn a_blobless_clone_answers_when_it_can_and_says_what_is_missing_when_not() {
    let source = Repo::from_fixture("rbee");
    source.git(&["config", "uploadpack.allowfilter", "true"]);
    bump_lock_entry(&source, "Cargo.lock", "itoa", "1.0.10");
    source.commit("bump itoa");
    source.append("libs/narration-core/src/lib.rs", "\n// edited\n");
    source.commit("a source edit");
    let dir = tempfile::tempdir().expect("tempdir");
    let clone = dir.path().join("blobless");
    let url = format!("file://{}", source.root().display());
    source.git(&[
        "clone",
        "-q",
        "--filter=blob:none",
        &url,
        clone.to_str().expect("UTF-8"),
    ]);
    let rg = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        apply_env_policy(&mut cmd, Some(dir.path()))
            .args(args)
            .current_dir(&clone);
        output(&mut cmd)
    };
    // Paths only: trees are there.
    let v = rg(&[
        "affected", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
    ])
    .json();
    assert!(!bins(&v).is_empty(), "{v:#}");
    // The lock file at the base is a blob the clone does not have.
    let run = rg(&["affected", "--base", "HEAD~2", "--head", "HEAD~1"]);
    assert_bad_input(&run);
    assert!(
        run.stderr.contains("partial clone") && run.stderr.contains("git fetch --refetch"),
        "{run:#?}"
    );
}

#[test]
fn test_owners_map_fixtures_read_at_run_time_onto_other_packages_tests() {
    let edit_fixture = |repo: &Repo| {
        repo.write("tests/fixtures/sample.txt", "one\n");
        repo.commit("a fixture the inner crate's tests read at run time");
        repo.write("tests/fixtures/sample.txt", "two\n");
        repo.commit("edit the fixture");
        affected_json(repo, &["--base", "HEAD~1", "--head", "HEAD", "--tests"])
    };
    let plain = Repo::from_fixture("root-package");
    let v = edit_fixture(&plain);
    assert_eq!(
        package_set(&v),
        names(&["root-app"]),
        "a test file of the root package: {v:#}"
    );

    let configured = Repo::from_fixture("root-package");
    configured.append(
        "Cargo.toml",
        "\n[workspace.metadata.rbee-graph]\ntest-owners = { \"tests/fixtures/**\" = [\"inner\"] }\n",
    );
    configured.commit("configure test-owners");
    let v = edit_fixture(&configured);
    assert_eq!(
        package_set(&v),
        names(&["inner", "root-app"]),
        "inner's tests read the fixture at run time: {v:#}"
    );
}
