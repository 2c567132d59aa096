//! Bad input: exit status 2 and exactly one line on stderr, starting with `error: `.

use std::ffi::OsString;

use rbee_graph_testdata::Repo;

use crate::util::*;

/// Makes the workspace's manifests unlike any other test's, so that a graph cached by content
/// (in or outside the repository) cannot answer in place of cargo.
fn make_manifests_unique(repo: &Repo) {
    let marker = format!("# {}\n", repo.root().display());
    repo.append("libs/job-server/Cargo.toml", &marker);
}

#[test]
fn not_a_git_repository() {
    let repo = Repo::without_git("rbee");
    assert_bad_input(&run(
        &repo,
        &["affected", "--base", "HEAD", "--format", "json"],
    ));
}

#[test]
fn unknown_base_revision() {
    let repo = Repo::from_fixture("rbee");
    assert_bad_input(&run(
        &repo,
        &["affected", "--base", "no-such-branch", "--format", "json"],
    ));
}

#[test]
fn unknown_head_revision() {
    let repo = Repo::from_fixture("rbee");
    let out = run(
        &repo,
        &["affected", "--base", "HEAD", "--head", "no-such-branch"],
    );
    assert_bad_input(&out);
}

#[test]
fn base_without_a_common_ancestor() {
    // An orphan branch shares no history with main: there is no merge-base.
    let repo = Repo::from_fixture("rbee");
    repo.git(&["checkout", "-q", "--orphan", "unrelated"]);
    touch(&repo, "shared/prompts.txt");
    repo.commit("unrelated root");
    assert_bad_input(&run(
        &repo,
        &["affected", "--base", "main", "--head", "HEAD"],
    ));
}

#[test]
fn invalid_member_manifest() {
    let repo = Repo::from_fixture("rbee");
    repo.append("libs/job-server/Cargo.toml", "\n[dependencies\nbroken = \n");
    assert_bad_input(&run(
        &repo,
        &["affected", "--base", "HEAD", "--format", "json"],
    ));
}

#[test]
fn invalid_root_manifest() {
    let repo = Repo::from_fixture("rbee");
    repo.append("Cargo.toml", "\nthis is not toml\n");
    assert_bad_input(&run(
        &repo,
        &["affected", "--base", "HEAD", "--format", "json"],
    ));
}

#[test]
fn invalid_manifest_in_graph() {
    let repo = Repo::from_fixture("rbee");
    repo.append("libs/job-server/Cargo.toml", "\n[dependencies\nbroken = \n");
    assert_bad_input(&run(&repo, &["graph", "--format", "json"]));
}

#[test]
fn unparsable_lock_file() {
    let repo = Repo::from_fixture("rbee");
    repo.write("Cargo.lock", "version = 4\n[[package]\nname = \"itoa\n");
    assert_bad_input(&run(
        &repo,
        &["affected", "--base", "HEAD", "--format", "json"],
    ));
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
    for args in [
        &["affected", "--base", "HEAD", "--format", "json"][..],
        &["graph", "--format", "json"][..],
    ] {
        assert_bad_input(&run_in(&repo, &repo.workspace(), args, &env));
    }
}

#[test]
fn missing_manifest_path() {
    let repo = Repo::from_fixture("rbee");
    let missing = repo.workspace().join("no-such-dir/Cargo.toml");
    let missing = missing.to_str().expect("a UTF-8 temporary path");
    for args in [
        &[
            "affected",
            "--manifest-path",
            missing,
            "--base",
            "HEAD",
            "--format",
            "json",
        ][..],
        &["graph", "--manifest-path", missing, "--format", "json"][..],
    ] {
        assert_bad_input(&run(&repo, args));
    }
}

#[test]
fn no_workspace_in_the_current_directory() {
    let repo = Repo::from_fixture("rbee");
    let empty = rbee_graph_testdata::tempfile::tempdir().expect("a temporary directory");
    assert_bad_input(&run_in(
        &repo,
        empty.path(),
        &["graph", "--format", "json"],
        &[],
    ));
    let out = run_in(
        &repo,
        empty.path(),
        &["affected", "--base", "HEAD", "--format", "json"],
        &[],
    );
    assert_bad_input(&out);
}

#[test]
fn unknown_format() {
    let repo = Repo::from_fixture("rbee");
    assert_bad_input(&run(
        &repo,
        &["affected", "--base", "HEAD", "--format", "xml"],
    ));
    assert_bad_input(&run(&repo, &["graph", "--format", "github-matrix"]));
}

#[test]
fn unknown_subcommand_and_flag() {
    let repo = Repo::from_fixture("rbee");
    assert_bad_input(&run(&repo, &["no-such-command"]));
    assert_bad_input(&run(
        &repo,
        &["affected", "--base", "HEAD", "--no-such-flag"],
    ));
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
    assert_bad_input(&out);
    assert!(out.stderr.contains("spawn cycle"), "{}", out.stderr);
}
