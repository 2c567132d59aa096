//! Other layouts, end to end: the workspace in a subdirectory of the repository (found from
//! its own directory, with its lock file there), a workspace root that is itself a package,
//! and binary names shared by two packages in the GitHub matrix. The other cases of these
//! layouts are in the fast layer, `graph/tests/rules/layouts.rs`.

use rbee_graph_testdata::Repo;

use crate::util::*;

// --- The rbee workspace in `rbee/`, the repository root above it. ------------------------------

fn subdir_repo() -> Repo {
    Repo::from_fixture_in("rbee", "rbee")
}

#[test]
fn subdirectory_paths_stay_repo_relative() {
    let repo = subdir_repo();
    let path = "rbee/libs/narration-core/src/lib.rs";
    let v = affected_after(&repo, &[], |r| touch(r, path));
    assert_eq!(changed(&v), [path]);
    assert_eq!(bins(&v), all_but_xtask());
    assert_every_reason(&v, "dependency", Some("narration-core"), path);
}

#[test]
fn subdirectory_cargo_config_above_the_workspace_is_global() {
    let repo = subdir_repo();
    let v = affected_after(&repo, &[], |r| {
        r.write(".cargo/config.toml", "[env]\nRBEE_FIXTURE = \"1\"\n")
    });
    assert_eq!(changed(&v), [".cargo/config.toml"]);
    assert_eq!(bins(&v), all_rbee_bins());
    assert_every_reason(&v, "global", None, ".cargo/config.toml");
}

#[test]
fn subdirectory_manifest_and_lock_are_the_workspace_ones() {
    let repo = subdir_repo();
    let v = affected_after(&repo, &[], |r| touch(r, "rbee/Cargo.toml"));
    assert_eq!(bins(&v), all_rbee_bins());
    assert_every_reason(&v, "global", None, "rbee/Cargo.toml");

    let repo = subdir_repo();
    let v = affected_after(&repo, &[], |r| {
        bump_lock_entry(r, "rbee/Cargo.lock", "cfg-if", "1.0.4")
    });
    assert_eq!(changed(&v), ["rbee/Cargo.lock"]);
    assert_eq!(bins(&v), pairs(&[("llm-worker-rbee", "llm-worker-rbee")]));
    assert_reason(
        &v,
        ("llm-worker-rbee", "llm-worker-rbee"),
        "lockfile",
        Some("cfg-if"),
        "rbee/Cargo.lock",
    );
}

// --- root-package: the root is the package `root-app` (bin only), depending on the member
// `crates/inner` (lib + bin); `fuzz/` is a separate, excluded crate. ---------------------------

const ROOT_APP: (&str, &str) = ("root-app", "root-app");
const INNER: (&str, &str) = ("inner", "inner");

fn root_package_after(paths: &[&str]) -> serde_json::Value {
    let repo = Repo::from_fixture("root-package");
    affected_after(&repo, &[], |r| {
        for path in paths {
            touch(r, path);
        }
    })
}

#[test]
fn root_package_nested_member_library_reaches_the_root() {
    let path = "crates/inner/src/lib.rs";
    let v = root_package_after(&[path]);
    assert_eq!(bins(&v), pairs(&[ROOT_APP, INNER]));
    assert_reason(&v, INNER, "path", Some("inner"), path);
    let reason = assert_reason(&v, ROOT_APP, "dependency", Some("inner"), path);
    assert_eq!(reason.chain, ["inner", "root-app"]);
    assert_eq!(packages(&v), ["inner", "root-app"]);
}

// --- same-names: `api` and `admin` each have a bin `server`; `tool` needs a feature. -----------

#[test]
fn same_bin_name_in_the_github_matrix() {
    let repo = Repo::from_fixture("same-names");
    touch(&repo, "common/src/lib.rs");
    let matrix = run(
        &repo,
        &["affected", "--base", "HEAD", "--format", "github-matrix"],
    )
    .json();
    assert_eq!(
        matrix_bins(&matrix),
        pairs(&[("server", "api"), ("server", "admin")])
    );
}
