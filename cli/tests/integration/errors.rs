//! Bad input: exit status 2 and exactly one line on stderr, starting with `error: `, and the
//! message itself, word for word (with the temporary paths redacted): what it says is wrong and
//! what to do is part of the contract. Messages quoted from cargo or TOML parsers change with them.

use std::ffi::OsString;
use std::path::Path;

use rbee_graph_testdata::Repo;

use crate::util::*;

/// Asserts `run` was rejected as bad input ([`assert_bad_input`]) with exactly the message
/// `expected` after `error: `, where the repository root reads `[ROOT]` and each `(path, name)`
/// of `temp` reads `name`.
fn assert_error(run: &Run, repo: &Repo, temp: &[(&Path, &str)], expected: &str) {
    assert_bad_input(run);
    let mut line = run.stderr.trim_end_matches('\n').to_owned();
    for (path, name) in temp {
        line = line.replace(&path.display().to_string(), name);
    }
    line = line.replace(&repo.root().display().to_string(), "[ROOT]");
    assert_eq!(
        line.strip_prefix("error: "),
        Some(expected),
        "the error message changed: {run:#?}"
    );
}

/// Makes the workspace's manifests unlike any other test's, so that a graph cached by content
/// (in or outside the repository) cannot answer in place of cargo.
fn make_manifests_unique(repo: &Repo) {
    let marker = format!("# {}\n", repo.root().display());
    repo.append("libs/job-server/Cargo.toml", &marker);
}

#[test]
fn not_a_git_repository() {
    let repo = Repo::without_git("rbee");
    assert_error(
        &run(&repo, &["affected", "--base", "HEAD", "--format", "json"]),
        &repo,
        &[],
        "[ROOT] is not inside a git repository; run rbee-graph from a git checkout (or `git init` one)",
    );
}

#[test]
fn unknown_base_revision() {
    let repo = Repo::from_fixture("rbee");
    assert_error(
        &run(
            &repo,
            &["affected", "--base", "no-such-branch", "--format", "json"],
        ),
        &repo,
        &[],
        "unknown revision `no-such-branch`: couldn't parse revision; check the name, or `git fetch origin` if it is a remote branch",
    );
}

#[test]
fn unknown_head_revision() {
    let repo = Repo::from_fixture("rbee");
    let out = run(
        &repo,
        &["affected", "--base", "HEAD", "--head", "no-such-branch"],
    );
    assert_error(
        &out,
        &repo,
        &[],
        "unknown revision `no-such-branch`: couldn't parse revision; check the name, or `git fetch origin` if it is a remote branch",
    );
}

#[test]
fn base_without_a_common_ancestor() {
    // An orphan branch shares no history with main: there is no merge-base.
    let repo = Repo::from_fixture("rbee");
    repo.git(&["checkout", "-q", "--orphan", "unrelated"]);
    touch(&repo, "shared/prompts.txt");
    repo.commit("unrelated root");
    assert_error(
        &run(&repo, &["affected", "--base", "main", "--head", "HEAD"]),
        &repo,
        &[],
        "`main` and `HEAD` have no common ancestor; pick a base on the same history",
    );
}

#[test]
fn invalid_member_manifest() {
    let repo = Repo::from_fixture("rbee");
    repo.append("libs/job-server/Cargo.toml", "\n[dependencies\nbroken = \n");
    assert_error(
        &run(&repo, &["affected", "--base", "HEAD", "--format", "json"]),
        &repo,
        &[],
        "`cargo metadata` failed: unclosed table, expected `]` (libs/job-server/Cargo.toml:14:14)",
    );
}

#[test]
fn invalid_root_manifest() {
    let repo = Repo::from_fixture("rbee");
    repo.append("Cargo.toml", "\nthis is not toml\n");
    assert_error(
        &run(&repo, &["affected", "--base", "HEAD", "--format", "json"]),
        &repo,
        &[],
        "`cargo metadata` failed: key with no value, expected `=` (Cargo.toml:13:6)",
    );
}

#[test]
fn invalid_manifest_in_graph() {
    let repo = Repo::from_fixture("rbee");
    repo.append("libs/job-server/Cargo.toml", "\n[dependencies\nbroken = \n");
    assert_error(
        &run(&repo, &["graph", "--format", "json"]),
        &repo,
        &[],
        "`cargo metadata` failed: unclosed table, expected `]` (libs/job-server/Cargo.toml:14:14)",
    );
}

#[test]
fn unparsable_lock_file() {
    let repo = Repo::from_fixture("rbee");
    repo.write("Cargo.lock", "version = 4\n[[package]\nname = \"itoa\n");
    assert_error(
        &run(&repo, &["affected", "--base", "HEAD", "--format", "json"]),
        &repo,
        &[],
        "Cargo.lock: not a valid lock file: TOML parse error at line 2, column 11: unclosed array table, expected `]`; regenerate it with `cargo generate-lockfile`",
    );
}

#[cfg(unix)]
#[test]
fn cargo_fails() {
    use std::os::unix::fs::PermissionsExt;

    let repo = Repo::from_fixture("rbee");
    make_manifests_unique(&repo);
    let bin = rbee_graph_testdata::tempfile::tempdir().expect("a temporary directory");
    let cargo = bin.path().join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\necho 'error: this cargo always fails' >&2\nexit 1\n",
    )
    .expect("write the fake cargo");
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755))
        .expect("make the fake cargo executable");

    // Both ways a tool finds cargo: `$CARGO` (set when run from cargo) and `PATH`.
    let mut path = OsString::from(bin.path());
    if let Some(old) = std::env::var_os("PATH") {
        path.push(":");
        path.push(old);
    }
    let env = [("PATH", path), ("CARGO", cargo.into_os_string())];
    let temp = [(bin.path(), "[BIN]")];
    for (args, expected) in [
        (
            &["affected", "--base", "HEAD", "--format", "json"][..],
            "`cargo metadata` failed: this cargo always fails",
        ),
        (
            &["graph", "--format", "json"][..],
            "`cargo metadata` failed: this cargo always fails",
        ),
    ] {
        let out = run_in(&repo, &repo.workspace(), args, &env);
        assert_error(&out, &repo, &temp, expected);
    }
}

#[test]
fn missing_manifest_path() {
    let repo = Repo::from_fixture("rbee");
    let missing = repo.workspace().join("no-such-dir/Cargo.toml");
    let missing = missing.to_str().expect("a UTF-8 temporary path");
    for (args, expected) in [
        (
            &[
                "affected",
                "--manifest-path",
                missing,
                "--base",
                "HEAD",
                "--format",
                "json",
            ][..],
            "manifest not found: [ROOT]/no-such-dir/Cargo.toml; pass --manifest-path to a workspace's Cargo.toml",
        ),
        (
            &["graph", "--manifest-path", missing, "--format", "json"][..],
            "manifest not found: [ROOT]/no-such-dir/Cargo.toml; pass --manifest-path to a workspace's Cargo.toml",
        ),
    ] {
        assert_error(&run(&repo, args), &repo, &[], expected);
    }
}

#[test]
fn no_workspace_in_the_current_directory() {
    let repo = Repo::from_fixture("rbee");
    let empty = rbee_graph_testdata::tempfile::tempdir().expect("a temporary directory");
    let temp = [(empty.path(), "[EMPTY]")];
    let out = run_in(&repo, empty.path(), &["graph", "--format", "json"], &[]);
    assert_error(
        &out,
        &repo,
        &temp,
        "`cargo metadata` failed: could not find `Cargo.toml` in `[EMPTY]` or any parent directory",
    );
    let out = run_in(
        &repo,
        empty.path(),
        &["affected", "--base", "HEAD", "--format", "json"],
        &[],
    );
    assert_error(
        &out,
        &repo,
        &temp,
        "`cargo metadata` failed: could not find `Cargo.toml` in `[EMPTY]` or any parent directory",
    );
}

#[test]
fn unknown_format() {
    let repo = Repo::from_fixture("rbee");
    assert_error(
        &run(&repo, &["affected", "--base", "HEAD", "--format", "xml"]),
        &repo,
        &[],
        "invalid value 'xml' for '--format <FORMAT>'; [possible values: text, json, github-matrix, cargo-args] (see `rbee-graph --help`)",
    );
    assert_error(
        &run(&repo, &["graph", "--format", "github-matrix"]),
        &repo,
        &[],
        "invalid value 'github-matrix' for '--format <FORMAT>'; [possible values: dot, mermaid, svg, json] (see `rbee-graph --help`)",
    );
}

#[test]
fn unknown_subcommand_and_flag() {
    let repo = Repo::from_fixture("rbee");
    assert_error(
        &run(&repo, &["no-such-command"]),
        &repo,
        &[],
        "unrecognized subcommand 'no-such-command' (see `rbee-graph --help`)",
    );
    assert_error(
        &run(&repo, &["affected", "--base", "HEAD", "--no-such-flag"]),
        &repo,
        &[],
        "unexpected argument '--no-such-flag' found (see `rbee-graph --help`)",
    );
}

#[test]
fn configuration_naming_an_unknown_binary_is_a_warning() {
    // A typo, or a binary removed since: CI must keep working, so it is only a warning.
    let repo = Repo::from_fixture("rbee");
    repo.replace(
        "Cargo.toml",
        "\"rbee-keeper\" = [\"queen-rbee\"]",
        "\"rbee-keeper\" = [\"queen-rbe\"]",
    );
    let out = run(&repo, &["affected", "--base", "HEAD"]);
    out.success();
    assert!(out.stderr.contains("rbee-graph.spawns`"), "{}", out.stderr);
    assert!(out.stderr.contains("queen-rbe`"), "{}", out.stderr);
}

#[test]
fn configuration_with_a_spawn_cycle() {
    let repo = Repo::from_fixture("rbee");
    repo.replace(
        "Cargo.toml",
        "\"rbee-keeper\" = [\"queen-rbee\"]",
        "\"rbee-keeper\" = [\"queen-rbee\"], \"llm-worker-rbee\" = [\"rbee-keeper\"]",
    );
    let out = run(&repo, &["status"]);
    assert_error(
        &out,
        &repo,
        &[],
        "invalid configuration `workspace.metadata.rbee-graph.spawns`: spawn cycle between binaries: llm-worker-rbee -> queen-rbee -> rbee-hive -> rbee-keeper",
    );
}
