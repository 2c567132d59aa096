//! Without `--head`, the head is the working tree: HEAD plus staged, unstaged, deleted and
//! untracked files that git does not ignore. Content counts, not timestamps.

use rbee_graph_testdata::Repo;

use crate::util::*;

/// Runs `affected --base HEAD` and checks the ends it reports.
fn affected_worktree(repo: &Repo, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--base", "HEAD"];
    args.extend_from_slice(extra);
    let v = affected_json(repo, &args);
    assert_eq!(v["base"], repo.head().as_str(), "{v:#}");
    assert_eq!(v["head"], "worktree", "{v:#}");
    v
}

#[test]
fn a_clean_working_tree_affects_nothing() {
    let repo = Repo::from_fixture("rbee");
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), Vec::<String>::new());
    assert_eq!(bins(&v), pairs(&[]));
    assert_eq!(packages(&v), Vec::<String>::new());
}

#[test]
fn an_unstaged_edit_counts() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "bin/queen-rbee/src/main.rs");
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), ["bin/queen-rbee/src/main.rs"]);
    assert_eq!(bins(&v), pairs(&[("queen-rbee", "queen-rbee")]));
}

#[test]
fn a_staged_edit_counts() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "bin/rbee-hive/src/bin/hive-check.rs");
    repo.git(&["add", "bin/rbee-hive/src/bin/hive-check.rs"]);
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), ["bin/rbee-hive/src/bin/hive-check.rs"]);
    assert_eq!(bins(&v), pairs(&[("hive-check", "rbee-hive")]));
}

#[test]
fn staged_and_unstaged_edits_add_up() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "bin/rbee-hive/src/bin/hive-check.rs");
    repo.git(&["add", "-A"]);
    touch(&repo, "bin/llm-worker-rbee/src/worker.rs");
    let v = affected_worktree(&repo, &[]);
    assert_eq!(
        changed(&v),
        sorted(&[
            "bin/rbee-hive/src/bin/hive-check.rs",
            "bin/llm-worker-rbee/src/worker.rs"
        ])
    );
    assert_eq!(
        bins(&v),
        pairs(&[
            ("hive-check", "rbee-hive"),
            ("llm-worker-rbee", "llm-worker-rbee")
        ])
    );
}

#[test]
fn a_staged_edit_changed_again_in_the_working_tree_counts() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "libs/build-info/src/lib.rs");
    repo.git(&["add", "-A"]);
    touch(&repo, "libs/build-info/src/lib.rs");
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), ["libs/build-info/src/lib.rs"]);
    assert_eq!(bins(&v), pairs(&[("llm-worker-rbee", "llm-worker-rbee")]));
}

#[test]
fn a_deleted_file_counts() {
    let repo = Repo::from_fixture("rbee");
    repo.remove("bin/rbee-hive/src/bin/hive-probe/util.rs");
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), ["bin/rbee-hive/src/bin/hive-probe/util.rs"]);
    assert_eq!(bins(&v), pairs(&[("hive-probe", "rbee-hive")]));
}

#[test]
fn a_staged_deletion_counts() {
    let repo = Repo::from_fixture("rbee");
    repo.git(&["rm", "-q", "libs/narration-core/src/fmt.rs"]);
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), ["libs/narration-core/src/fmt.rs"]);
    assert_eq!(bins(&v), all_but_xtask());
}

#[test]
fn an_untracked_file_counts() {
    let repo = Repo::from_fixture("rbee");
    repo.write("libs/job-server/src/queue.rs", "pub struct Queue;\n");
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), ["libs/job-server/src/queue.rs"]);
    assert_eq!(bins(&v), pairs(&[("queen-rbee", "queen-rbee")]));
    assert_reason(
        &v,
        ("queen-rbee", "queen-rbee"),
        "dependency",
        Some("job-server"),
        "libs/job-server/src/queue.rs",
    );
}

#[test]
fn an_untracked_file_in_a_new_directory_counts() {
    let repo = Repo::from_fixture("rbee");
    repo.write("bin/rbee-keeper/assets/logo.txt", "rbee\n");
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), ["bin/rbee-keeper/assets/logo.txt"]);
    assert_eq!(bins(&v), pairs(&[("rbee-keeper", "rbee-keeper")]));
}

#[test]
fn ignored_files_are_not_changes() {
    let repo = Repo::from_fixture("rbee");
    repo.write("target/debug/rbee-keeper", "not really a binary\n");
    repo.write("target/debug/.fingerprint/x/dep-lib", "junk\n");
    repo.write(".gitignore", "/target\n*.log\n");
    repo.commit("ignore logs too");
    repo.write("bin/queen-rbee/queen.log", "a log line\n");
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), Vec::<String>::new());
    assert_eq!(bins(&v), pairs(&[]));
}

#[test]
fn an_edit_reverted_before_the_query_is_not_a_change() {
    let repo = Repo::from_fixture("rbee");
    let path = "libs/narration-core/src/lib.rs";
    let original = repo.read(path);
    touch(&repo, path);
    repo.write(path, &original); // Same content, newer mtime.
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), Vec::<String>::new());
    assert_eq!(bins(&v), pairs(&[]));
}

#[test]
fn a_file_deleted_and_restored_is_not_a_change() {
    let repo = Repo::from_fixture("rbee");
    let path = "bin/queen-rbee/src/main.rs";
    let original = repo.read(path);
    repo.remove(path);
    repo.write(path, &original);
    let v = affected_worktree(&repo, &[]);
    assert_eq!(changed(&v), Vec::<String>::new());
}

#[test]
fn runs_from_a_member_directory_like_cargo() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "libs/hive-lifecycle/src/lib.rs");
    let dir = repo.workspace().join("libs/narration-core");
    let run = run_in(
        &repo,
        &dir,
        &["affected", "--base", "HEAD", "--format", "json"],
        &[],
    );
    let v = run.json();
    check_schema(&v);
    assert_eq!(
        changed(&v),
        ["libs/hive-lifecycle/src/lib.rs"],
        "paths stay repo-relative"
    );
    assert_eq!(bins(&v), pairs(&[("queen-rbee", "queen-rbee")]));
}

#[test]
fn manifest_path_from_another_directory() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "libs/hive-lifecycle/src/lib.rs");
    let elsewhere = rbee_graph_testdata::tempfile::tempdir().expect("a temporary directory");
    let manifest = repo.workspace().join("Cargo.toml");
    let manifest = manifest.to_str().expect("a UTF-8 temporary path");
    let run = run_in(
        &repo,
        elsewhere.path(),
        &[
            "affected",
            "--manifest-path",
            manifest,
            "--base",
            "HEAD",
            "--format",
            "json",
        ],
        &[],
    );
    let v = run.json();
    check_schema(&v);
    assert_eq!(changed(&v), ["libs/hive-lifecycle/src/lib.rs"]);
    assert_eq!(bins(&v), pairs(&[("queen-rbee", "queen-rbee")]));
}

#[test]
fn files_in_the_target_directory_are_outputs_even_without_a_gitignore() {
    // No `.gitignore`: git reports `target/` as untracked, but build outputs (and
    // rbee-graph's own state there) are never inputs.
    let repo = Repo::from_fixture("rbee");
    repo.remove(".gitignore");
    repo.commit("no .gitignore");
    repo.write("target/debug/leftover.txt", "output\n");
    let v = affected_json(&repo, &["--base", "HEAD"]);
    assert!(
        changed(&v).iter().any(|p| p.starts_with("target/")),
        "{v:#}"
    );
    assert!(bins(&v).is_empty(), "{v:#}");
}

#[test]
fn a_submodule_inside_a_package_counts_for_that_package() {
    // A nested repository registered as a submodule: its commit moving is a change of the
    // package that holds it; its own files are not walked.
    let scratch = rbee_graph_testdata::tempfile::tempdir().expect("temp dir");
    let sub = scratch.path().join("sub");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let git = |dir: &std::path::Path, args: &[&str]| {
        let mut cmd = std::process::Command::new("git");
        rbee_graph_testdata::configure_git_env(&mut cmd);
        let out = cmd.args(args).current_dir(dir).output().expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&sub, &["init", "-q", "-b", "main"]);
    std::fs::write(sub.join("data.txt"), "one\n").expect("write");
    git(&sub, &["add", "-A"]);
    git(&sub, &["commit", "-q", "-m", "one"]);

    let repo = Repo::from_fixture("rbee");
    let url = sub.to_string_lossy().into_owned();
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "libs/narration-core/vendor",
    ]);
    repo.commit("add a submodule");
    // The new submodule is a change of the package that holds it; `.gitmodules`, which no
    // build reads, is ignored.
    let v = affected_json(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(
        changed(&v),
        [".gitmodules", "libs/narration-core/vendor"],
        "{v:#}"
    );
    assert_eq!(bins(&v), all_but_xtask(), "{v:#}");

    // The submodule moves to a new commit: a change of the package that holds it.
    let vendor = repo.path("libs/narration-core/vendor");
    std::fs::write(vendor.join("data.txt"), "two\n").expect("write");
    git(&vendor, &["commit", "-q", "-am", "two"]);
    repo.git(&["add", "libs/narration-core/vendor"]);
    repo.git(&["commit", "-q", "-m", "move the submodule"]);
    let v = affected_json(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(changed(&v), ["libs/narration-core/vendor"], "{v:#}");
    assert_eq!(bins(&v), all_but_xtask(), "{v:#}");

    // Nothing changed since: the submodule's own files are not the superproject's.
    std::fs::write(vendor.join("data.txt"), "three\n").expect("write");
    let v = affected_json(&repo, &["--base", "HEAD"]);
    assert!(bins(&v).is_empty(), "{v:#}");
}
