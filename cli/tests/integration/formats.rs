//! Output formats other than `affected --format json`: the github matrix, text, and `graph`.

use std::collections::BTreeSet;

use rbee_graph_testdata::Repo;
use serde_json::Value;

use crate::util::*;

fn matrix(repo: &Repo, extra: &[&str]) -> Value {
    let mut args = vec!["affected", "--base", "HEAD"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--format", "github-matrix"]);
    run(repo, &args).json()
}

#[test]
fn github_matrix_lists_bins_with_their_packages() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "libs/narration-core/src/lib.rs");
    assert_eq!(matrix_bins(&matrix(&repo, &[])), all_but_xtask());
}

#[test]
fn github_matrix_agrees_with_json() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "libs/daemon-lifecycle/src/lib.rs");
    let json = affected_json(&repo, &["--base", "HEAD"]);
    assert_eq!(matrix_bins(&matrix(&repo, &[])), bins(&json));
}

#[test]
fn github_matrix_with_tests_lists_packages() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "libs/test-harness/src/lib.rs");
    assert_eq!(
        matrix_packages(&matrix(&repo, &["--tests"])),
        names(&["test-harness", "job-server", "xtask"])
    );
}

#[test]
fn github_matrix_when_nothing_is_affected() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "docs/guide.md");
    let m = matrix(&repo, &[]);
    assert_eq!(matrix_bins(&m), pairs(&[]));
    assert_eq!(m, serde_json::json!({ "include": [] }));
}

#[test]
fn github_matrix_is_one_line() {
    // GitHub reads it from `echo "matrix=$(rbee-graph ...)" >> $GITHUB_OUTPUT`.
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "libs/narration-core/src/lib.rs");
    let out = run(
        &repo,
        &["affected", "--base", "HEAD", "--format", "github-matrix"],
    );
    assert_eq!(out.success().trim_end().lines().count(), 1, "{out:#?}");
}

#[test]
fn text_is_the_default_format() {
    let repo = Repo::from_fixture("rbee");
    touch(&repo, "bin/rbee-hive/src/bin/hive-check.rs");
    for args in [
        &["affected", "--base", "HEAD"][..],
        &["affected", "--base", "HEAD", "--format", "text"],
    ] {
        let out = run(&repo, args);
        let text = out.success();
        assert!(text.contains("hive-check"), "{out:#?}");
        assert!(
            serde_json::from_str::<Value>(text).is_err(),
            "text must not be JSON: {out:#?}"
        );
    }
}

/// Every string anywhere in `v`.
fn all_strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| all_strings(i, out)),
        Value::Object(map) => {
            for (k, i) in map {
                out.insert(k.clone());
                all_strings(i, out);
            }
        }
        _ => {}
    }
}

#[test]
fn graph_json_names_every_package_and_bin() {
    let repo = Repo::from_fixture("rbee");
    let v = run(&repo, &["graph", "--format", "json"]).json();
    let mut strings = BTreeSet::new();
    all_strings(&v, &mut strings);
    for name in RBEE_MEMBERS
        .iter()
        .chain(RBEE_BINS.iter().map(|(bin, _)| bin))
    {
        assert!(
            strings.contains(*name),
            "{name} is missing from the graph: {v:#}"
        );
    }
}

#[test]
fn graph_dot_names_every_package_and_bin() {
    let repo = Repo::from_fixture("rbee");
    let out = run(&repo, &["graph", "--format", "dot"]);
    let dot = out.success();
    assert!(
        dot.trim_start().starts_with("digraph") || dot.trim_start().starts_with("strict digraph"),
        "{dot}"
    );
    assert!(dot.trim_end().ends_with('}'), "{dot}");
    assert!(dot.contains("->"), "a graph with edges: {dot}");
    for name in RBEE_MEMBERS
        .iter()
        .chain(RBEE_BINS.iter().map(|(bin, _)| bin))
    {
        assert!(
            dot.contains(name),
            "{name} is missing from the graph:\n{dot}"
        );
    }
}

#[test]
fn graph_with_manifest_path() {
    let repo = Repo::from_fixture("same-names");
    let elsewhere = rbee_graph_testdata::tempfile::tempdir().expect("a temporary directory");
    let manifest = repo.workspace().join("Cargo.toml");
    let manifest = manifest.to_str().expect("a UTF-8 temporary path");
    let out = run_in(
        &repo,
        elsewhere.path(),
        &["graph", "--manifest-path", manifest, "--format", "json"],
        &[],
    );
    let v = out.json();
    let mut strings = BTreeSet::new();
    all_strings(&v, &mut strings);
    for name in ["common", "api", "admin", "tool", "server"] {
        assert!(
            strings.contains(name),
            "{name} is missing from the graph: {v:#}"
        );
    }
}
