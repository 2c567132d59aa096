//! Other layouts: the rbee workspace in a subdirectory of the repository, a workspace root
//! that is itself a package, and binary names shared by two packages.

use crate::common::{Case, RBEE, ROOT_PACKAGE, SAME_NAMES, bump, check};

// --- The rbee workspace in `rbee/`, the repository root above it. ------------------------------

fn in_subdir(paths: &[&str], expect: &str) {
    check(
        Case {
            subdir: Some("rbee"),
            paths,
            ..Case::default()
        },
        expect,
    );
}

#[test]
fn subdirectory_paths_stay_repo_relative() {
    in_subdir(&["rbee/libs/narration-core/src/lib.rs"], "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): dependency rbee/libs/narration-core/src/lib.rs via narration-core -> rbee-hive
hive-probe (rbee-hive): dependency rbee/libs/narration-core/src/lib.rs via narration-core -> rbee-hive
rbee-keeper: dependency rbee/libs/narration-core/src/lib.rs via narration-core -> rbee-keeper
queen-rbee: dependency rbee/libs/narration-core/src/lib.rs via narration-core -> queen-rbee
rbee-hive: dependency rbee/libs/narration-core/src/lib.rs via narration-core -> rbee-hive
llm-worker-rbee: dependency rbee/libs/narration-core/src/lib.rs via narration-core -> llm-worker-rbee
");
}

#[test]
fn subdirectory_paths_above_the_workspace_affect_nothing() {
    in_subdir(
        &["README.md", "tools/release.sh", "other-project/src/main.rs"],
        "",
    );
}

#[test]
fn subdirectory_configuration_above_the_workspace_is_global() {
    in_subdir(&[".cargo/config.toml"], "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): global .cargo/config.toml
hive-probe (rbee-hive): global .cargo/config.toml
rbee-keeper: global .cargo/config.toml
queen-rbee: global .cargo/config.toml
rbee-hive: global .cargo/config.toml
llm-worker-rbee: global .cargo/config.toml
xtask: global .cargo/config.toml
");
    in_subdir(&["rust-toolchain.toml"], "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): global rust-toolchain.toml
hive-probe (rbee-hive): global rust-toolchain.toml
rbee-keeper: global rust-toolchain.toml
queen-rbee: global rust-toolchain.toml
rbee-hive: global rust-toolchain.toml
llm-worker-rbee: global rust-toolchain.toml
xtask: global rust-toolchain.toml
");
}

#[test]
fn subdirectory_manifest_and_lock_are_the_workspace_ones() {
    in_subdir(&["rbee/Cargo.toml"], "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): global rbee/Cargo.toml
hive-probe (rbee-hive): global rbee/Cargo.toml
rbee-keeper: global rbee/Cargo.toml
queen-rbee: global rbee/Cargo.toml
rbee-hive: global rbee/Cargo.toml
llm-worker-rbee: global rbee/Cargo.toml
xtask: global rbee/Cargo.toml
");
    check(
        Case {
            subdir: Some("rbee"),
            paths: &["rbee/Cargo.lock"],
            head_lock: Some(bump(RBEE.lock, "cfg-if", "1.0.4")),
            ..Case::default()
        },
        "
packages: llm-worker-rbee
llm-worker-rbee: lockfile cfg-if via cfg-if -> llm-worker-rbee
",
    );
}

#[test]
fn subdirectory_ignore_globs_are_relative_to_the_workspace() {
    in_subdir(
        &[
            "rbee/docs/guide.md",
            "rbee/README.md",
            "rbee/LICENSE",
            "rbee/.github/workflows/ci.yml",
        ],
        "",
    );
}

#[test]
fn subdirectory_unowned_file() {
    in_subdir(&["rbee/shared/prompts.txt"], "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): unowned rbee/shared/prompts.txt
hive-probe (rbee-hive): unowned rbee/shared/prompts.txt
rbee-keeper: unowned rbee/shared/prompts.txt
queen-rbee: unowned rbee/shared/prompts.txt
rbee-hive: unowned rbee/shared/prompts.txt
llm-worker-rbee: unowned rbee/shared/prompts.txt
xtask: unowned rbee/shared/prompts.txt
");
}

// --- root-package: the root is the package `root-app` (bin only), depending on the member
// `crates/inner` (lib + bin); `fuzz/` is a separate, excluded crate. ---------------------------

fn root_package(paths: &[&str], expect: &str) {
    check(
        Case {
            fixture: &ROOT_PACKAGE,
            paths,
            ..Case::default()
        },
        expect,
    );
}

#[test]
fn root_package_source_affects_the_root_bin() {
    root_package(
        &["src/main.rs"],
        "
packages: root-app
root-app: path src/main.rs
",
    );
}

#[test]
fn root_package_nested_member_library_reaches_the_root() {
    root_package(
        &["crates/inner/src/lib.rs"],
        "
packages: inner root-app
inner: path crates/inner/src/lib.rs
root-app: dependency crates/inner/src/lib.rs via inner -> root-app
",
    );
}

#[test]
fn root_package_innermost_package_wins() {
    // crates/inner/src/main.rs lies in both packages' directories; inner owns it, and it is
    // inner's bin-only file.
    root_package(
        &["crates/inner/src/main.rs"],
        "
packages: inner
inner: path crates/inner/src/main.rs
",
    );
}

#[test]
fn root_package_readme_and_data_files_belong_to_the_root_package() {
    root_package(
        &["README.md"],
        "
packages: root-app
root-app: path README.md
",
    );
    root_package(
        &["assets/banner.txt"],
        "
packages: root-app
root-app: path assets/banner.txt
",
    );
}

#[test]
fn root_package_ignore_globs_come_first() {
    root_package(
        &[
            "docs/guide.md",
            "LICENSE",
            ".github/workflows/ci.yml",
            ".gitignore",
        ],
        "",
    );
}

#[test]
fn root_package_manifest_is_global() {
    root_package(
        &["Cargo.toml"],
        "
packages: inner root-app
inner: global Cargo.toml
root-app: global Cargo.toml
",
    );
}

#[test]
fn root_package_non_member_crate_inside_the_root_counts_for_the_root() {
    // fuzz/ is not a member; it lies inside the root package's directory, which claims it
    // (the root package last), never the nested member.
    root_package(
        &["fuzz/fuzz_targets/parse.rs"],
        "
packages: root-app
root-app: path fuzz/fuzz_targets/parse.rs
",
    );
}

// --- same-names: `api` and `admin` each have a bin `server`; `tool` needs a feature. -----------

fn same_names(paths: &[&str], expect: &str) {
    check(
        Case {
            fixture: &SAME_NAMES,
            paths,
            ..Case::default()
        },
        expect,
    );
}

#[test]
fn same_bin_name_in_two_packages_both_reported() {
    same_names(
        &["common/src/lib.rs"],
        "
packages: common admin api
server (admin): dependency common/src/lib.rs via common -> admin
server (api): dependency common/src/lib.rs via common -> api
",
    );
}

#[test]
fn same_bin_name_only_the_owning_package() {
    same_names(
        &["admin/src/main.rs"],
        "
packages: admin
server (admin): path admin/src/main.rs
",
    );
    same_names(
        &["api/Cargo.toml"],
        "
packages: api
server (api): path api/Cargo.toml
",
    );
}

#[test]
fn a_bin_with_required_features_is_still_a_binary() {
    same_names(
        &["tool/src/main.rs"],
        "
packages: tool
tool: path tool/src/main.rs
",
    );
}
