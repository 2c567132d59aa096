//! `explain BIN` (why a binary is stale since its build, or affected since `--base`) and `why
//! PATH` (which rule classifies a path, and which binaries it reaches), on the `rbee` fixture.
//!
//! Local-mode `explain` needs real build records, so those tests build the fixture for real
//! (`rbee-graph build`), each in its own repository.

use std::collections::BTreeSet;
use std::ffi::OsString;

use rbee_graph_testdata::Repo;
use serde_json::Value;

use crate::util::*;

const NARRATION: &str = "libs/narration-core/src/lib.rs";
const NARRATION_FMT: &str = "libs/narration-core/src/fmt.rs";
const HIVE_CHECK: &str = "bin/rbee-hive/src/bin/hive-check.rs";

/// `explain ARGS --format json`, checked for shape.
fn explain_json(repo: &Repo, args: &[&str]) -> Value {
    explain_json_env(repo, args, &[])
}

fn explain_json_env(repo: &Repo, args: &[&str], env: &[(&str, OsString)]) -> Value {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let v = run_in(repo, &repo.workspace(), &all, env).json();
    assert_eq!(v["schema"], 1, "{v:#}");
    let reasons = v["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("reasons: {v:#}"));
    assert_eq!(
        v["affected"].as_bool(),
        Some(!reasons.is_empty()),
        "affected exactly when there are reasons: {v:#}"
    );
    v
}

/// The reasons of an `explain` answer.
fn explain_reasons(v: &Value) -> Vec<Value> {
    v["reasons"].as_array().expect("reasons").clone()
}

fn chain_of(r: &Value) -> Vec<String> {
    r["chain"]
        .as_array()
        .unwrap_or_else(|| panic!("chain: {r:#}"))
        .iter()
        .map(|s| s.as_str().expect("chain of names").to_owned())
        .collect()
}

/// The input reason for `path` in an `explain` answer; panics if there is none.
fn reason_for<'v>(v: &'v Value, path: &str) -> &'v Value {
    v["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("no reason for {path}: {v:#}"))
}

/// Asserts `r` is a dependency reason from `package` to `bin_package` along real edges.
fn assert_dependency_chain(r: &Value, package: &str, bin_package: &str) -> Vec<String> {
    assert_eq!(r["kind"], "dependency", "{r:#}");
    assert_eq!(r["package"], package, "{r:#}");
    let chain = chain_of(r);
    assert_eq!(chain.first().map(String::as_str), Some(package), "{r:#}");
    assert_eq!(chain.last().map(String::as_str), Some(bin_package), "{r:#}");
    for step in chain.windows(2) {
        assert!(
            RBEE_EDGES.contains(&(step[0].as_str(), step[1].as_str())),
            "{} -> {} is not a dependency edge: {chain:?}",
            step[0],
            step[1]
        );
    }
    chain
}

fn assert_no_ansi(text: &str) {
    assert!(
        !text.contains('\x1b'),
        "colour when not on a terminal: {text:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// explain, local mode: against the build record.

#[test]
fn explain_stale_binary_shows_each_changed_path_and_its_chain() {
    let repo = Repo::from_fixture("rbee");
    run(&repo, &["build"]).success();
    let head = repo.head();

    // Fresh right after the build.
    let v = explain_json(&repo, &["rbee-keeper"]);
    assert_eq!(v["affected"], false, "{v:#}");
    assert_eq!(v["against"], "record", "{v:#}");
    assert_eq!(v["recorded_commit"], head.as_str(), "{v:#}");
    assert_eq!(v["profile"], "dev", "{v:#}");
    let text = run(&repo, &["explain", "rbee-keeper"]).success().to_owned();
    assert!(text.contains("fresh"), "{text}");

    // Two files of narration-core: one reason each, with the chain to the binary.
    repo.append(NARRATION, "// edited\n");
    repo.append(NARRATION_FMT, "// edited\n");
    let v = explain_json(&repo, &["rbee-keeper"]);
    assert_eq!(v["affected"], true, "{v:#}");
    assert_eq!(v["name"], "rbee-keeper", "{v:#}");
    assert_eq!(v["package"], "rbee-keeper", "{v:#}");
    assert_eq!(explain_reasons(&v).len(), 2, "one reason per path: {v:#}");
    let chain = assert_dependency_chain(reason_for(&v, NARRATION), "narration-core", "rbee-keeper");
    assert_dependency_chain(
        reason_for(&v, NARRATION_FMT),
        "narration-core",
        "rbee-keeper",
    );

    // The text names each path and shows the chain.
    let run_text = run(&repo, &["explain", "rbee-keeper"]);
    let text = run_text.success();
    assert_no_ansi(text);
    assert!(text.contains("stale"), "{text}");
    assert!(text.contains(NARRATION), "{text}");
    assert!(text.contains(NARRATION_FMT), "{text}");
    assert!(
        text.contains(&chain.join(" -> ")),
        "the chain {chain:?}: {text}"
    );

    // A binary that does not depend on narration-core stays fresh.
    let v = explain_json(&repo, &["xtask"]);
    assert_eq!(v["affected"], false, "{v:#}");

    // `graph --affected` without --base highlights the stale binaries.
    let g = run(&repo, &["graph", "--affected", "--format", "json"]).json();
    let highlighted: BTreeSet<BinPair> = g["affected"]["binaries"]
        .as_array()
        .unwrap_or_else(|| panic!("affected.binaries: {g:#}"))
        .iter()
        .map(|b| {
            (
                b["name"].as_str().expect("name").to_owned(),
                b["package"].as_str().expect("package").to_owned(),
            )
        })
        .collect();
    assert_eq!(highlighted, all_but_xtask(), "{g:#}");

    // A binary's own file: a `path` reason.
    repo.append(HIVE_CHECK, "// edited\n");
    let v = explain_json(&repo, &["hive-check", "-p", "rbee-hive"]);
    let r = reason_for(&v, HIVE_CHECK);
    assert_eq!(r["kind"], "path", "{r:#}");
    assert_eq!(chain_of(r), ["rbee-hive"], "{r:#}");
    let v = explain_json(&repo, &["hive-probe"]);
    assert!(
        explain_reasons(&v).iter().all(|r| r["path"] != HIVE_CHECK),
        "hive-check.rs is not hive-probe's: {v:#}"
    );

    // The environment: a record reason naming the variable.
    let v = explain_json_env(&repo, &["xtask"], &[("RUSTFLAGS", "-g".into())]);
    let r = explain_reasons(&v)
        .into_iter()
        .find(|r| r["cause"] == "environment")
        .unwrap_or_else(|| panic!("no environment reason: {v:#}"));
    assert_eq!(r["kind"], "record", "{r:#}");
    assert_eq!(r["variable"], "RUSTFLAGS", "{r:#}");
}

#[test]
fn explain_without_a_record_says_so() {
    let repo = Repo::from_fixture("rbee");
    let v = explain_json(&repo, &["queen-rbee"]);
    assert_eq!(v["affected"], true, "{v:#}");
    assert_eq!(v["recorded_commit"], Value::Null, "{v:#}");
    let reasons = explain_reasons(&v);
    assert_eq!(reasons.len(), 1, "{v:#}");
    assert_eq!(reasons[0]["kind"], "record", "{v:#}");
    assert_eq!(reasons[0]["cause"], "no-record", "{v:#}");
    let text = run(&repo, &["explain", "queen-rbee"]).success().to_owned();
    assert!(text.contains("never built"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// explain --base.

#[test]
fn explain_with_base_shows_why_it_is_affected() {
    let repo = Repo::from_fixture("rbee");
    let base = repo.head();
    repo.append(NARRATION, "// edited\n");
    repo.append(HIVE_CHECK, "// edited\n");

    let v = explain_json(&repo, &["queen-rbee", "--base", "HEAD"]);
    assert_eq!(v["against"], "revisions", "{v:#}");
    assert_eq!(v["base"], base.as_str(), "{v:#}");
    assert_eq!(v["head"], "worktree", "{v:#}");
    assert_eq!(explain_reasons(&v).len(), 1, "{v:#}");
    let chain = assert_dependency_chain(reason_for(&v, NARRATION), "narration-core", "queen-rbee");

    // It agrees with `affected` about the binary.
    let a = affected_json(&repo, &["--base", "HEAD"]);
    let listed = reasons(&a, "queen-rbee", "queen-rbee");
    assert!(
        listed
            .iter()
            .any(|r| r.kind == "dependency" && r.path == NARRATION && r.chain == chain),
        "explain's chain {chain:?} is affected's: {listed:#?}"
    );

    // hive-check: its own file and the dependency, one reason each.
    let v = explain_json(&repo, &["hive-check", "--base", "HEAD"]);
    assert_eq!(reason_for(&v, HIVE_CHECK)["kind"], "path", "{v:#}");
    assert_dependency_chain(reason_for(&v, NARRATION), "narration-core", "rbee-hive");
    assert_eq!(explain_reasons(&v).len(), 2, "{v:#}");

    // xtask depends on neither.
    let v = explain_json(&repo, &["xtask", "--base", "HEAD"]);
    assert_eq!(v["affected"], false, "{v:#}");
    let text = run(&repo, &["explain", "xtask", "--base", "HEAD"])
        .success()
        .to_owned();
    assert!(text.contains("not affected"), "{text}");

    // Committed: --head.
    let head = repo.commit("edit");
    let v = explain_json(&repo, &["queen-rbee", "--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(v["head"], head.as_str(), "{v:#}");
    assert_eq!(v["base"], base.as_str(), "{v:#}");
    assert_dependency_chain(reason_for(&v, NARRATION), "narration-core", "queen-rbee");
    let text = run(&repo, &["explain", "queen-rbee", "--base", "HEAD~1"])
        .success()
        .to_owned();
    assert!(text.contains(NARRATION), "{text}");
    assert!(text.contains(&chain.join(" -> ")), "{text}");
}

#[test]
fn explain_a_lock_entry() {
    let repo = Repo::from_fixture("rbee");
    bump_lock_entry(&repo, "Cargo.lock", "itoa", "1.0.99");
    let v = explain_json(&repo, &["queen-rbee", "--base", "HEAD"]);
    let r = reason_for(&v, "Cargo.lock");
    assert_eq!(r["kind"], "lockfile", "{r:#}");
    assert_eq!(r["package"], "itoa", "{r:#}");
    let chain = chain_of(r);
    assert_eq!(chain.first().map(String::as_str), Some("itoa"), "{r:#}");
    assert_eq!(
        chain.last().map(String::as_str),
        Some("queen-rbee"),
        "{r:#}"
    );
    let v = explain_json(&repo, &["xtask", "--base", "HEAD"]);
    assert_eq!(v["affected"], false, "{v:#}");
}

#[test]
fn explain_bad_input() {
    let repo = Repo::from_fixture("rbee");
    let out = run(&repo, &["explain", "queen-rbe"]);
    assert_bad_input(&out);
    assert!(
        out.stderr.contains("`queen-rbee`"),
        "suggests queen-rbee: {out:#?}"
    );
    let out = run(&repo, &["explain", "queen-rbe", "--base", "HEAD"]);
    assert_bad_input(&out);
    assert!(out.stderr.contains("`queen-rbee`"), "{out:#?}");
    assert_bad_input(&run(
        &repo,
        &["explain", "queen-rbee", "--base", "no-such-branch"],
    ));
    assert_bad_input(&run(&repo, &["explain", "queen-rbee", "--head", "HEAD"]));
    assert_bad_input(&run(&repo, &["explain", "queen-rbee", "-p", "no-such"]));
}

// ---------------------------------------------------------------------------------------------
// why PATH.

/// `why PATH --format json` in the workspace.
fn why(repo: &Repo, path: &str) -> Value {
    let v = run(repo, &["why", path, "--format", "json"]).json();
    assert_eq!(v["schema"], 1, "{v:#}");
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v:#}");
    v
}

/// The `(bin, package)` pairs a `why` answer says a change reaches.
fn why_bins(v: &Value) -> BTreeSet<BinPair> {
    bins(v)
}

#[test]
fn why_package_file() {
    let repo = Repo::from_fixture("rbee");
    let v = why(&repo, NARRATION);
    assert_eq!(v["path"], NARRATION, "{v:#}");
    assert_eq!(v["rule"], "package", "{v:#}");
    assert_eq!(v["package"], "narration-core", "{v:#}");
    assert_eq!(why_bins(&v), all_but_xtask(), "{v:#}");
    assert_chains_follow(&v, RBEE_EDGES);
    for (bin, package) in all_but_xtask() {
        let r = &reasons(&v, &bin, &package)[0];
        assert_eq!(r.chain.first().map(String::as_str), Some("narration-core"));
        assert_eq!(r.chain.last(), Some(&package));
    }
    // The same, from inside the package, relative to the current directory.
    let inside = run_in(
        &repo,
        &repo.path("libs/narration-core"),
        &["why", "src/lib.rs", "--format", "json"],
        &[],
    )
    .json();
    assert_eq!(inside["path"], NARRATION, "{inside:#}");
    let text = run(&repo, &["why", NARRATION]).success().to_owned();
    assert_no_ansi(&text);
    assert!(text.contains("narration-core"), "{text}");
    assert!(text.contains("narration-core -> queen-rbee"), "{text}");
}

#[test]
fn why_bin_only_file() {
    let repo = Repo::from_fixture("rbee");
    let v = why(&repo, HIVE_CHECK);
    assert_eq!(v["rule"], "binary", "{v:#}");
    assert_eq!(v["package"], "rbee-hive", "{v:#}");
    assert_eq!(v["binary"], "hive-check", "{v:#}");
    assert_eq!(why_bins(&v), pairs(&[("hive-check", "rbee-hive")]), "{v:#}");
}

#[test]
fn why_test_file() {
    let repo = Repo::from_fixture("rbee");
    let v = why(&repo, "libs/narration-core/tests/narration.rs");
    assert_eq!(v["rule"], "test-only", "{v:#}");
    assert_eq!(v["package"], "narration-core", "{v:#}");
    assert!(why_bins(&v).is_empty(), "{v:#}");
}

#[test]
fn why_ignored_doc() {
    let repo = Repo::from_fixture("rbee");
    let v = why(&repo, "docs/guide.md");
    assert_eq!(v["rule"], "ignored", "{v:#}");
    assert_eq!(v["by"], "glob", "{v:#}");
    assert_eq!(v["glob"], "docs/**", "{v:#}");
    assert_eq!(v["configured"], false, "{v:#}");
    assert!(why_bins(&v).is_empty(), "{v:#}");
    let text = run(&repo, &["why", "docs/guide.md"]).success().to_owned();
    assert!(text.contains("docs/**"), "names the glob: {text}");

    // Markdown outside every package.
    let v = why(&repo, "README.md");
    assert_eq!(v["rule"], "ignored", "{v:#}");
    assert_eq!(v["by"], "markdown-outside-packages", "{v:#}");

    // A configured glob, for a file that does not exist.
    repo.append("Cargo.toml", "ignore = [\"scripts/**\"]\n");
    let v = why(&repo, "scripts/release.py");
    assert_eq!(v["rule"], "ignored", "{v:#}");
    assert_eq!(v["glob"], "scripts/**", "{v:#}");
    assert_eq!(v["configured"], true, "{v:#}");
}

#[test]
fn why_unowned_file() {
    let repo = Repo::from_fixture("rbee");
    let v = why(&repo, "shared/prompts.txt");
    assert_eq!(v["rule"], "unowned", "{v:#}");
    assert_eq!(v["package"], Value::Null, "{v:#}");
    assert_eq!(why_bins(&v), all_rbee_bins(), "{v:#}");
    assert_every_reason(&v, "unowned", None, "shared/prompts.txt");
}

#[test]
fn why_global_file() {
    let repo = Repo::from_fixture("rbee");
    let v = why(&repo, "Cargo.toml");
    assert_eq!(v["rule"], "global", "{v:#}");
    assert_eq!(v["by"], "workspace-file", "{v:#}");
    assert_eq!(why_bins(&v), all_rbee_bins(), "{v:#}");
    let v = why(&repo, "rust-toolchain.toml");
    assert_eq!(v["rule"], "global", "a file that does not exist yet: {v:#}");
}

#[test]
fn why_lock_file() {
    let repo = Repo::from_fixture("rbee");
    let v = why(&repo, "Cargo.lock");
    assert_eq!(v["rule"], "lockfile", "{v:#}");
    assert!(
        why_bins(&v).is_empty(),
        "the entries decide, not the text: {v:#}"
    );
    let text = run(&repo, &["why", "Cargo.lock"]).success().to_owned();
    assert!(
        text.contains("depends on the entries that change") && !text.contains("affects no binary"),
        "the text explains the lock rule: {text}"
    );
}

#[test]
fn why_outside_the_workspace_and_the_repository() {
    let repo = Repo::from_fixture_in("rbee", "ws");
    let v = run_in(
        &repo,
        &repo.workspace(),
        &["why", "../README.md", "--format", "json"],
        &[],
    )
    .json();
    assert_eq!(v["path"], "README.md", "{v:#}");
    assert_eq!(v["rule"], "ignored", "{v:#}");
    assert_eq!(v["by"], "outside-workspace", "{v:#}");

    let outside = repo
        .root()
        .parent()
        .expect("the repository has a parent")
        .join("elsewhere.rs");
    let out = run(
        &repo,
        &["why", outside.to_str().expect("a UTF-8 temporary path")],
    );
    assert_bad_input(&out);
}
