//! Other layouts: the workspace in a subdirectory of the repository, a workspace root that is
//! itself a package, and binary names shared by two packages.

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
fn subdirectory_paths_above_the_workspace_affect_nothing() {
    let repo = subdir_repo();
    let paths = ["README.md", "tools/release.sh", "other-project/src/main.rs"];
    let v = affected_after(&repo, &[], |r| {
        for path in paths {
            touch(r, path);
        }
    });
    assert_eq!(changed(&v), sorted(&paths));
    assert_eq!(bins(&v), pairs(&[]));
    assert_eq!(packages(&v), Vec::<String>::new());
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
fn subdirectory_rust_toolchain_above_the_workspace_is_global() {
    let repo = subdir_repo();
    let v = affected_after(&repo, &[], |r| {
        r.write(
            "rust-toolchain.toml",
            &format!("[toolchain]\nchannel = \"{}\"\n", current_toolchain()),
        )
    });
    assert_eq!(changed(&v), ["rust-toolchain.toml"]);
    assert_eq!(bins(&v), all_rbee_bins());
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

#[test]
fn subdirectory_ignore_globs_are_relative_to_the_workspace() {
    let repo = subdir_repo();
    let paths = [
        "rbee/docs/guide.md",
        "rbee/README.md",
        "rbee/LICENSE",
        "rbee/.github/workflows/ci.yml",
    ];
    let v = affected_after(&repo, &[], |r| {
        for path in paths {
            touch(r, path);
        }
    });
    assert_eq!(changed(&v), sorted(&paths));
    assert_eq!(bins(&v), pairs(&[]));
}

#[test]
fn subdirectory_unowned_file() {
    let repo = subdir_repo();
    let path = "rbee/shared/prompts.txt";
    let v = affected_after(&repo, &[], |r| touch(r, path));
    assert_eq!(bins(&v), all_rbee_bins());
    assert_every_reason(&v, "unowned", None, path);
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
fn root_package_source_affects_the_root_bin() {
    let v = root_package_after(&["src/main.rs"]);
    assert_eq!(changed(&v), ["src/main.rs"]);
    assert_eq!(bins(&v), pairs(&[ROOT_APP]));
    assert_reason(&v, ROOT_APP, "path", Some("root-app"), "src/main.rs");
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

#[test]
fn root_package_innermost_package_wins() {
    // crates/inner/src/main.rs lies in both packages' directories; inner owns it, and it is
    // inner's bin-only file.
    let v = root_package_after(&["crates/inner/src/main.rs"]);
    assert_eq!(bins(&v), pairs(&[INNER]));
}

#[test]
fn root_package_readme_belongs_to_the_root_package() {
    let v = root_package_after(&["README.md"]);
    assert_eq!(changed(&v), ["README.md"]);
    assert_eq!(bins(&v), pairs(&[ROOT_APP]));
}

#[test]
fn root_package_data_file_belongs_to_the_root_package() {
    let v = root_package_after(&["assets/banner.txt"]);
    assert_eq!(bins(&v), pairs(&[ROOT_APP]));
    assert_no_reason_of_kind(&v, "unowned");
}

#[test]
fn root_package_ignore_globs_come_first() {
    let paths = [
        "docs/guide.md",
        "LICENSE",
        ".github/workflows/ci.yml",
        ".gitignore",
    ];
    let v = root_package_after(&paths);
    assert_eq!(changed(&v), sorted(&paths));
    assert_eq!(bins(&v), pairs(&[]));
}

#[test]
fn root_package_manifest_is_global() {
    let v = root_package_after(&["Cargo.toml"]);
    assert_eq!(bins(&v), pairs(&[ROOT_APP, INNER]));
    assert_every_reason(&v, "global", None, "Cargo.toml");
}

#[test]
fn root_package_non_member_crate_inside_the_root_counts_for_the_root() {
    // fuzz/ is not a member; it lies inside the root package's directory, which claims it
    // (rule 3, the root package last), never the nested member.
    let v = root_package_after(&["fuzz/fuzz_targets/parse.rs"]);
    assert_eq!(changed(&v), ["fuzz/fuzz_targets/parse.rs"]);
    assert_eq!(bins(&v), pairs(&[ROOT_APP]));
}

// --- same-names: `api` and `admin` each have a bin `server`; `tool` needs a feature. -----------

fn same_names_after(paths: &[&str]) -> serde_json::Value {
    let repo = Repo::from_fixture("same-names");
    affected_after(&repo, &[], |r| {
        for path in paths {
            touch(r, path);
        }
    })
}

#[test]
fn same_bin_name_in_two_packages_both_reported() {
    let v = same_names_after(&["common/src/lib.rs"]);
    assert_eq!(bins(&v), pairs(&[("server", "api"), ("server", "admin")]));
    assert_reason(
        &v,
        ("server", "api"),
        "dependency",
        Some("common"),
        "common/src/lib.rs",
    );
    assert_reason(
        &v,
        ("server", "admin"),
        "dependency",
        Some("common"),
        "common/src/lib.rs",
    );
}

#[test]
fn same_bin_name_only_the_owning_package() {
    let v = same_names_after(&["admin/src/main.rs"]);
    assert_eq!(bins(&v), pairs(&[("server", "admin")]));
    let v = same_names_after(&["api/Cargo.toml"]);
    assert_eq!(bins(&v), pairs(&[("server", "api")]));
}

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

#[test]
fn a_bin_with_required_features_is_still_a_binary() {
    let v = same_names_after(&["tool/src/main.rs"]);
    assert_eq!(bins(&v), pairs(&[("tool", "tool")]));
}
