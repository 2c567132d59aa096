//! Comparing revisions: the merge-base, ranges of commits, renames, packages removed or added,
//! and `--head` naming a commit that is not checked out.

use rbee_graph_testdata::Repo;

use crate::util::*;

/// The manifest of a new binary package `bin/rbee-top` depending on narration-core.
const RBEE_TOP_MANIFEST: &str = r#"[package]
name = "rbee-top"
version.workspace = true
edition.workspace = true
publish.workspace = true

[dependencies]
narration-core = { path = "../../libs/narration-core" }
"#;

/// Its lock entry, as cargo would write it.
const RBEE_TOP_LOCK_ENTRY: &str =
    "name = \"rbee-top\"\nversion = \"0.1.0\"\ndependencies = [\n \"narration-core\",\n]\n";

/// Adds the package `bin/rbee-top` to the rbee fixture in `repo` (not committed).
fn add_rbee_top(repo: &Repo) {
    repo.write("bin/rbee-top/Cargo.toml", RBEE_TOP_MANIFEST);
    repo.write(
        "bin/rbee-top/src/main.rs",
        "fn main() {\n    println!(\"{}\", narration_core::narrate(\"rbee-top\", \"watch\"));\n}\n",
    );
    add_lock_entry(repo, "Cargo.lock", RBEE_TOP_LOCK_ENTRY);
}

const RBEE_TOP_PATHS: &[&str] = &[
    "Cargo.lock",
    "bin/rbee-top/Cargo.toml",
    "bin/rbee-top/src/main.rs",
];

#[test]
fn base_is_the_merge_base_not_the_tip_of_the_base_branch() {
    let repo = Repo::from_fixture("rbee");
    let fork = repo.head();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    touch(&repo, "bin/queen-rbee/src/main.rs");
    let feature = repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);
    touch(&repo, "shared/prompts.txt");
    touch(&repo, "libs/narration-core/src/lib.rs");
    repo.commit("main moves on");
    repo.git(&["checkout", "-q", "feature"]);

    // Between commits.
    let v = affected_json(&repo, &["--base", "main", "--head", "HEAD"]);
    assert_eq!(
        v["base"],
        fork.as_str(),
        "base must be merge-base(main, HEAD)"
    );
    assert_eq!(v["head"], feature.as_str());
    assert_eq!(changed(&v), ["bin/queen-rbee/src/main.rs"]);
    assert_eq!(bins(&v), pairs(&[("queen-rbee", "queen-rbee")]));

    // Against the working tree.
    touch(&repo, "bin/rbee-hive/src/bin/hive-check.rs");
    let v = affected_json(&repo, &["--base", "main"]);
    assert_eq!(v["base"], fork.as_str());
    assert_eq!(v["head"], "worktree");
    assert_eq!(
        changed(&v),
        sorted(&[
            "bin/queen-rbee/src/main.rs",
            "bin/rbee-hive/src/bin/hive-check.rs"
        ])
    );
    assert_eq!(
        bins(&v),
        pairs(&[("queen-rbee", "queen-rbee"), ("hive-check", "rbee-hive")])
    );
}

#[test]
fn base_given_as_a_full_sha_and_head_as_a_branch() {
    let repo = Repo::from_fixture("rbee");
    let base = repo.head();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    touch(&repo, "bin/rbee-keeper/src/main.rs");
    let head = repo.commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    let v = affected_json(&repo, &["--base", &base, "--head", "feature"]);
    assert_eq!(v["base"], base.as_str());
    assert_eq!(v["head"], head.as_str());
    assert_eq!(bins(&v), pairs(&[("rbee-keeper", "rbee-keeper")]));
}

#[test]
fn changes_accumulate_over_several_commits() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "bin/queen-rbee/src/main.rs");
    repo.commit("one");
    touch(&repo, "bin/llm-worker-rbee/build.rs");
    repo.commit("two");
    let v = affected_json(&repo, &["--base", "HEAD~2", "--head", "HEAD"]);
    assert_eq!(
        changed(&v),
        sorted(&["bin/queen-rbee/src/main.rs", "bin/llm-worker-rbee/build.rs"])
    );
    assert_eq!(
        bins(&v),
        pairs(&[
            ("queen-rbee", "queen-rbee"),
            ("llm-worker-rbee", "llm-worker-rbee")
        ])
    );
}

#[test]
fn a_change_reverted_in_a_later_commit_is_not_a_change() {
    // Only the content at the two ends counts, not the commits in between.
    let repo = Repo::from_fixture("rbee");
    let path = "libs/narration-core/src/lib.rs";
    let original = repo.read(path);
    touch(&repo, path);
    repo.commit("change");
    repo.write(path, &original);
    repo.commit("revert");
    let v = affected_json(&repo, &["--base", "HEAD~2", "--head", "HEAD"]);
    assert_eq!(changed(&v), Vec::<String>::new());
    assert_eq!(bins(&v), pairs(&[]));
}

#[test]
fn a_rename_across_packages_counts_at_both_ends() {
    let (from, to) = (
        "libs/job-server/data/jobs.txt",
        "bin/rbee-keeper/data/jobs.txt",
    );
    let repo = Repo::from_fixture("rbee");
    repo.write(
        from,
        "a job, long enough for git to detect the rename\n"
            .repeat(20)
            .as_str(),
    );
    repo.commit("add jobs");
    // affected_after asks once with the rename staged, once with it committed.
    let v = affected_after(&repo, &[], |r| {
        std::fs::create_dir_all(r.path("bin/rbee-keeper/data")).expect("create the target dir");
        r.git(&["mv", from, to]);
    });
    assert_eq!(changed(&v), sorted(&[from, to]));
    assert_eq!(
        bins(&v),
        pairs(&[("queen-rbee", "queen-rbee"), ("rbee-keeper", "rbee-keeper")])
    );
    assert_reason(
        &v,
        ("queen-rbee", "queen-rbee"),
        "dependency",
        Some("job-server"),
        from,
    );
    assert_reason(
        &v,
        ("rbee-keeper", "rbee-keeper"),
        "path",
        Some("rbee-keeper"),
        to,
    );
}

#[test]
fn a_removed_library_counts_for_its_dependents() {
    // hive-lifecycle goes away; queen-rbee, its only dependent, drops it. The paths the
    // library owned at the base count for queen-rbee, not as unowned paths (every binary).
    let repo = Repo::from_fixture("rbee");
    let v = affected_after(&repo, &[], |r| {
        r.remove("libs/hive-lifecycle");
        r.replace(
            "bin/queen-rbee/Cargo.toml",
            "hive-lifecycle = { path = \"../../libs/hive-lifecycle\" }\n",
            "",
        );
        r.replace(
            "bin/queen-rbee/src/lib.rs",
            "vec![job_server::submit(id), hive_lifecycle::start_hive()]",
            "vec![job_server::submit(id)]",
        );
        remove_lock_entry(r, "Cargo.lock", "hive-lifecycle");
    });
    assert_eq!(
        changed(&v),
        sorted(&[
            "Cargo.lock",
            "bin/queen-rbee/Cargo.toml",
            "bin/queen-rbee/src/lib.rs",
            "libs/hive-lifecycle/Cargo.toml",
            "libs/hive-lifecycle/src/lib.rs",
        ])
    );
    assert_eq!(bins(&v), pairs(&[("queen-rbee", "queen-rbee")]));
    assert_no_reason_of_kind(&v, "unowned");
    let reason = assert_reason_in(
        &v,
        ("queen-rbee", "queen-rbee"),
        "dependency",
        Some("hive-lifecycle"),
        &[
            "libs/hive-lifecycle/Cargo.toml",
            "libs/hive-lifecycle/src/lib.rs",
        ],
    );
    assert_eq!(reason.chain, ["hive-lifecycle", "queen-rbee"]);
}

#[test]
fn a_removed_binary_package_affects_nothing_that_remains() {
    // Nothing depends on rbee-keeper; once it is gone, no remaining binary is affected, and
    // its old paths are not unowned paths.
    let repo = Repo::from_fixture("rbee");
    let v = affected_after(&repo, &[], |r| {
        r.remove("bin/rbee-keeper");
        remove_lock_entry(r, "Cargo.lock", "rbee-keeper");
    });
    assert_eq!(
        changed(&v),
        sorted(&[
            "Cargo.lock",
            "bin/rbee-keeper/Cargo.toml",
            "bin/rbee-keeper/src/main.rs"
        ])
    );
    assert_eq!(bins(&v), pairs(&[]));
}

#[test]
fn an_added_package_affects_its_bins() {
    let repo = Repo::from_fixture("rbee");
    let v = affected_after(&repo, &[], add_rbee_top);
    assert_eq!(changed(&v), sorted(RBEE_TOP_PATHS));
    assert_eq!(bins(&v), pairs(&[("rbee-top", "rbee-top")]));
    assert_reason_in(
        &v,
        ("rbee-top", "rbee-top"),
        "path",
        Some("rbee-top"),
        &["bin/rbee-top/Cargo.toml", "bin/rbee-top/src/main.rs"],
    );
    assert_eq!(packages(&v), ["rbee-top"]);
}

#[test]
fn head_names_a_commit_that_is_not_checked_out() {
    // The graph of the head commit must be used: the working tree (at the old commit, plus an
    // unrelated uncommitted edit) knows nothing about rbee-top.
    let repo = Repo::from_fixture("rbee");
    let old = repo.head();
    add_rbee_top(&repo);
    let new = repo.commit("add rbee-top");
    repo.git(&["checkout", "-q", "--detach", &old]);
    touch(&repo, "shared/prompts.txt");
    assert!(!repo.path("bin/rbee-top").exists());

    let v = affected_json(&repo, &["--base", &old, "--head", &new]);
    assert_eq!(v["base"], old.as_str());
    assert_eq!(v["head"], new.as_str());
    assert_eq!(changed(&v), sorted(RBEE_TOP_PATHS));
    assert_eq!(bins(&v), pairs(&[("rbee-top", "rbee-top")]));
}

#[test]
fn head_older_than_the_checkout_uses_the_head_graph() {
    // The other way round: the checkout has a package the head commit lacks, and the head
    // commit changes a file of a package that both have.
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "bin/queen-rbee/src/main.rs");
    let head = repo.commit("queen");
    add_rbee_top(&repo);
    repo.commit("add rbee-top");
    let v = affected_json(&repo, &["--base", "HEAD~2", "--head", &head]);
    assert_eq!(v["head"], head.as_str());
    assert_eq!(changed(&v), ["bin/queen-rbee/src/main.rs"]);
    assert_eq!(bins(&v), pairs(&[("queen-rbee", "queen-rbee")]));
}

#[test]
fn base_equal_to_head_affects_nothing() {
    let repo = Repo::from_fixture("rbee");
    let v = affected_json(&repo, &["--base", "HEAD", "--head", "HEAD"]);
    assert_eq!(v["base"], v["head"]);
    assert_eq!(changed(&v), Vec::<String>::new());
    assert_eq!(bins(&v), pairs(&[]));
    assert_eq!(packages(&v), Vec::<String>::new());
}
