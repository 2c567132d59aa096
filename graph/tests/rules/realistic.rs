//! Realistic layouts: fixtures shaped like popular open-source workspaces, and for each
//! interesting path the answer the path rules of DESIGN.md give, worked out by hand from the
//! fixture's manifests (the tables are in `cli/tests/integration/realistic.rs`, which keeps a
//! few of these end to end).
//!
//! - `rg-layout` (ripgrep): the root package `rgl` is also the workspace root; its only bin is
//!   `crates/core/main.rs` (`crates/core/` is no package), it has a `build.rs`, `autotests =
//!   false` with a `[[test]]`, and the members are listed one by one. `fuzz/` is a separate
//!   workspace inside the root package's directory.
//! - `tk-layout` (tokio, bevy, gitoxide): a virtual workspace with members nested in members,
//!   an excluded path dependency (`crates/legacy-shim`) with a path dependency of its own
//!   (`vendor/shim-sys`), custom build script and bin paths, `autobins = false`.
//! - `nu-layout` (nushell): the root package `nu` is the workspace root; members are listed
//!   and globbed, and every path dependency comes from `[workspace.dependencies]`.

use rbee_graph_model::rules::Mode;

use crate::common::{Case, Fixture, NU, RG, TK, bump, check};

fn touched(fixture: &Fixture, paths: &[&str], expect: &str) {
    check(
        Case {
            fixture,
            paths,
            ..Case::default()
        },
        expect,
    );
}

fn tests(fixture: &Fixture, paths: &[&str], expect: &str) {
    check(
        Case {
            fixture,
            paths,
            mode: Mode::Tests,
            ..Case::default()
        },
        expect,
    );
}

fn lock_bumped(fixture: &Fixture, mode: Mode, name: &str, version: &str, expect: &str) {
    check(
        Case {
            fixture,
            paths: &["Cargo.lock"],
            head_lock: Some(bump(fixture.lock, name, version)),
            mode,
            ..Case::default()
        },
        expect,
    );
}

// =============================================================================================
// rg-layout (ripgrep)

#[test]
fn rg_bin_module_outside_src_belongs_to_the_root_package() {
    // crates/core/ is no package: the root package owns it (the root package last), and a
    // module of the bin that is not the bin's `src_path` or under `src/bin/` is "anything
    // else".
    touched(
        &RG,
        &["crates/core/flags/mod.rs"],
        "
packages: rgl
rgl: path crates/core/flags/mod.rs
",
    );
}

#[test]
fn rg_bin_src_path_outside_src() {
    touched(
        &RG,
        &["crates/core/main.rs"],
        "
packages: rgl
rgl: path crates/core/main.rs
",
    );
}

#[test]
fn rg_root_build_script() {
    touched(
        &RG,
        &["build.rs"],
        "
packages: rgl
rgl: path build.rs
",
    );
}

#[test]
fn rg_target_specific_dependency_counts() {
    // grep-winutil is a cfg(windows) dependency of grep-printer: an edge all the same.
    touched(
        &RG,
        &["crates/winutil/src/lib.rs"],
        "
packages: grep-winutil grep-printer grep rgl
rgl: dependency crates/winutil/src/lib.rs via grep-winutil -> grep-printer -> grep -> rgl
",
    );
}

#[test]
fn rg_optional_dependency_counts() {
    touched(
        &RG,
        &["crates/pcre2/src/lib.rs"],
        "
packages: grep-pcre2 grep rgl
rgl: dependency crates/pcre2/src/lib.rs via grep-pcre2 -> grep -> rgl
",
    );
}

#[test]
fn rg_renamed_dependency_is_named_by_its_package() {
    // The root depends on grep-cli as `rgcli`.
    touched(
        &RG,
        &["crates/cli/src/lib.rs"],
        "
packages: grep-cli rgl
grep-cli: path crates/cli/src/lib.rs
rgl: dependency crates/cli/src/lib.rs via grep-cli -> rgl
",
    );
}

#[test]
fn rg_main_beside_a_lib_is_its_bin_only() {
    touched(
        &RG,
        &["crates/cli/src/main.rs"],
        "
packages: grep-cli
grep-cli: path crates/cli/src/main.rs
",
    );
}

#[test]
fn rg_shared_library_reaches_three_packages() {
    touched(
        &RG,
        &["crates/globset/src/lib.rs"],
        "
packages: globset grep-cli ignore rgl
grep-cli: dependency crates/globset/src/lib.rs via globset -> grep-cli
walk (ignore): dependency crates/globset/src/lib.rs via globset -> ignore
rgl: dependency crates/globset/src/lib.rs via globset -> ignore -> rgl
",
    );
}

#[test]
fn rg_module_of_a_bin_directory() {
    touched(
        &RG,
        &["crates/ignore/src/bin/walk/args.rs"],
        "
packages: ignore
walk (ignore): path crates/ignore/src/bin/walk/args.rs
",
    );
}

#[test]
fn rg_separate_fuzz_workspace_inside_the_root_package() {
    // fuzz/ is not a member and no member depends on it: the innermost member package around
    // it is the root package.
    touched(
        &RG,
        &["fuzz/fuzz_targets/fuzz_glob.rs", "fuzz/Cargo.toml"],
        "
packages: rgl
rgl: path fuzz/Cargo.toml
",
    );
}

#[test]
fn rg_tests_and_benches_affect_no_binary() {
    let paths = ["tests/util.rs", "crates/globset/benches/bench.rs"];
    touched(&RG, &paths, "");
    tests(&RG, &paths, "packages: globset rgl");
}

#[test]
fn rg_lock_bump_of_a_target_specific_registry_dependency() {
    // cfg-if is a cfg(windows) dependency of `ignore` only.
    lock_bumped(
        &RG,
        Mode::Binaries,
        "cfg-if",
        "1.0.4",
        "
packages: ignore rgl
walk (ignore): lockfile cfg-if via cfg-if -> ignore
rgl: lockfile cfg-if via cfg-if -> ignore -> rgl
",
    );
}

// =============================================================================================
// tk-layout (tokio, bevy, gitoxide)

#[test]
fn tk_nested_proc_macro_reaches_everything_using_core() {
    touched(
        &TK,
        &["crates/core/macros/src/lib.rs"],
        "
packages: tk-macros tk-core tk-ffi tk-server tk-cli
tk-bench (tk-server): dependency crates/core/macros/src/lib.rs via tk-macros -> tk-core -> tk-server
tk-probe (tk-server): dependency crates/core/macros/src/lib.rs via tk-macros -> tk-core -> tk-server
tk-server: dependency crates/core/macros/src/lib.rs via tk-macros -> tk-core -> tk-server
tk (tk-cli): dependency crates/core/macros/src/lib.rs via tk-macros -> tk-core -> tk-cli
tk-admin (tk-cli): dependency crates/core/macros/src/lib.rs via tk-macros -> tk-core -> tk-cli
",
    );
}

#[test]
fn tk_nested_package_is_not_its_parents() {
    // crates/cli/completions/ lies inside tk-cli's directory; the innermost package owns it,
    // and only xtask depends on it.
    touched(
        &TK,
        &["crates/cli/completions/src/lib.rs"],
        "
packages: tk-completions xtask
xtask: dependency crates/cli/completions/src/lib.rs via tk-completions -> xtask
",
    );
}

#[test]
fn tk_custom_build_script_path_and_its_modules() {
    // tk-sys: `build = "build/main.rs"`; tk-cli has it as a build-dependency.
    touched(
        &TK,
        &["crates/sys/build/main.rs"],
        "
packages: tk-sys tk-cli
tk (tk-cli): dependency crates/sys/build/main.rs via tk-sys -> tk-cli
tk-admin (tk-cli): dependency crates/sys/build/main.rs via tk-sys -> tk-cli
",
    );
    touched(
        &TK,
        &["crates/sys/build/probe.rs"],
        "
packages: tk-sys tk-cli
tk (tk-cli): dependency crates/sys/build/probe.rs via tk-sys -> tk-cli
tk-admin (tk-cli): dependency crates/sys/build/probe.rs via tk-sys -> tk-cli
",
    );
}

#[test]
fn tk_cdylib_behind_an_optional_dependency() {
    touched(
        &TK,
        &["crates/ffi/src/lib.rs"],
        "
packages: tk-ffi tk-server
tk-bench (tk-server): dependency crates/ffi/src/lib.rs via tk-ffi -> tk-server
tk-probe (tk-server): dependency crates/ffi/src/lib.rs via tk-ffi -> tk-server
tk-server: dependency crates/ffi/src/lib.rs via tk-ffi -> tk-server
",
    );
}

#[test]
fn tk_target_specific_path_dependency() {
    touched(
        &TK,
        &["crates/win/src/lib.rs"],
        "
packages: tk-win tk-cli
tk (tk-cli): dependency crates/win/src/lib.rs via tk-win -> tk-cli
tk-admin (tk-cli): dependency crates/win/src/lib.rs via tk-win -> tk-cli
",
    );
}

#[test]
fn tk_explicit_bins_with_autobins_off() {
    touched(
        &TK,
        &["crates/cli/src/main.rs"],
        "
packages: tk-cli
tk (tk-cli): path crates/cli/src/main.rs
",
    );
    // A bin with `required-features` is a binary all the same.
    touched(
        &TK,
        &["crates/cli/src/admin/main.rs"],
        "
packages: tk-cli
tk-admin (tk-cli): path crates/cli/src/admin/main.rs
",
    );
}

#[test]
fn tk_module_of_an_explicit_bin_outside_src_bin_is_the_package() {
    // src/admin/users.rs is neither a bin's `src_path` nor under `src/bin/`: "anything else",
    // the whole package.
    touched(
        &TK,
        &["crates/cli/src/admin/users.rs"],
        "
packages: tk-cli
tk (tk-cli): path crates/cli/src/admin/users.rs
tk-admin (tk-cli): path crates/cli/src/admin/users.rs
",
    );
}

#[test]
fn tk_src_bin_file_that_is_no_target_is_the_package() {
    // With `autobins = false`, src/bin/stray.rs is no bin target.
    touched(
        &TK,
        &["crates/cli/src/bin/stray.rs"],
        "
packages: tk-cli
tk (tk-cli): path crates/cli/src/bin/stray.rs
tk-admin (tk-cli): path crates/cli/src/bin/stray.rs
",
    );
    touched(
        &TK,
        &["crates/cli/Cargo.toml"],
        "
packages: tk-cli
tk (tk-cli): path crates/cli/Cargo.toml
tk-admin (tk-cli): path crates/cli/Cargo.toml
",
    );
}

#[test]
fn tk_discovered_bins() {
    touched(
        &TK,
        &["crates/server/src/bin/tk-bench/stats.rs"],
        "
packages: tk-server
tk-bench (tk-server): path crates/server/src/bin/tk-bench/stats.rs
",
    );
    touched(
        &TK,
        &["crates/server/src/bin/tk-probe.rs"],
        "
packages: tk-server
tk-probe (tk-server): path crates/server/src/bin/tk-probe.rs
",
    );
    touched(
        &TK,
        &["crates/server/src/main.rs"],
        "
packages: tk-server
tk-server: path crates/server/src/main.rs
",
    );
    touched(
        &TK,
        &["crates/server/src/lib.rs"],
        "
packages: tk-server
tk-bench (tk-server): path crates/server/src/lib.rs
tk-probe (tk-server): path crates/server/src/lib.rs
tk-server: path crates/server/src/lib.rs
",
    );
}

#[test]
fn tk_excluded_path_dependency_counts_for_its_dependents() {
    // legacy-shim is excluded from the workspace but tk-server depends on it by path.
    touched(
        &TK,
        &["crates/legacy-shim/src/lib.rs"],
        "
packages: legacy-shim tk-server
tk-bench (tk-server): dependency crates/legacy-shim/src/lib.rs via legacy-shim -> tk-server
tk-probe (tk-server): dependency crates/legacy-shim/src/lib.rs via legacy-shim -> tk-server
tk-server: dependency crates/legacy-shim/src/lib.rs via legacy-shim -> tk-server
",
    );
}

#[test]
fn tk_path_dependency_of_an_excluded_path_dependency() {
    // shim-sys is built into tk-server through legacy-shim (both path packages of this
    // repository, neither a member). It is a package, so rule 5 (outside every package) does
    // not apply: cargo does not describe it, the engine follows legacy-shim's manifest to it.
    touched(
        &TK,
        &["vendor/shim-sys/src/lib.rs"],
        "
packages: shim-sys legacy-shim tk-server
tk-bench (tk-server): dependency vendor/shim-sys/src/lib.rs via shim-sys -> legacy-shim -> tk-server
tk-probe (tk-server): dependency vendor/shim-sys/src/lib.rs via shim-sys -> legacy-shim -> tk-server
tk-server: dependency vendor/shim-sys/src/lib.rs via shim-sys -> legacy-shim -> tk-server
",
    );
}

#[test]
fn tk_excluded_fuzz_crate_outside_every_member_is_unowned() {
    touched(
        &TK,
        &["fuzz/fuzz_targets/parse.rs"],
        "
packages: tk-completions tk-macros tk-core tk-ffi tk-server tk-sys tk-win tk-cli xtask
tk-bench (tk-server): unowned fuzz/fuzz_targets/parse.rs
tk-probe (tk-server): unowned fuzz/fuzz_targets/parse.rs
tk-server: unowned fuzz/fuzz_targets/parse.rs
tk (tk-cli): unowned fuzz/fuzz_targets/parse.rs
tk-admin (tk-cli): unowned fuzz/fuzz_targets/parse.rs
xtask: unowned fuzz/fuzz_targets/parse.rs
",
    );
}

#[test]
fn tk_lock_bump_of_a_workspace_inherited_dependency() {
    // itoa comes from [workspace.dependencies] into tk-core.
    lock_bumped(
        &TK,
        Mode::Binaries,
        "itoa",
        "1.0.18",
        "
packages: tk-core tk-ffi tk-server tk-cli
tk-bench (tk-server): lockfile itoa via itoa -> tk-core -> tk-server
tk-probe (tk-server): lockfile itoa via itoa -> tk-core -> tk-server
tk-server: lockfile itoa via itoa -> tk-core -> tk-server
tk (tk-cli): lockfile itoa via itoa -> tk-core -> tk-cli
tk-admin (tk-cli): lockfile itoa via itoa -> tk-core -> tk-cli
",
    );
}

#[test]
fn tk_lock_bump_reaches_through_non_member_path_packages() {
    // cfg-if: tk-win -> tk-cli, and shim-sys -> legacy-shim -> tk-server. Every workspace
    // package that reaches it through normal or build dependencies.
    lock_bumped(
        &TK,
        Mode::Binaries,
        "cfg-if",
        "1.0.4",
        "
packages: shim-sys legacy-shim tk-server tk-win tk-cli
tk-bench (tk-server): lockfile cfg-if via cfg-if -> shim-sys -> legacy-shim -> tk-server
tk-probe (tk-server): lockfile cfg-if via cfg-if -> shim-sys -> legacy-shim -> tk-server
tk-server: lockfile cfg-if via cfg-if -> shim-sys -> legacy-shim -> tk-server
tk (tk-cli): lockfile cfg-if via cfg-if -> tk-win -> tk-cli
tk-admin (tk-cli): lockfile cfg-if via cfg-if -> tk-win -> tk-cli
",
    );
}

#[test]
fn tk_workspace_manifest_is_global() {
    touched(
        &TK,
        &["Cargo.toml"],
        "
packages: tk-completions tk-macros tk-core tk-ffi tk-server tk-sys tk-win tk-cli xtask
tk-bench (tk-server): global Cargo.toml
tk-probe (tk-server): global Cargo.toml
tk-server: global Cargo.toml
tk (tk-cli): global Cargo.toml
tk-admin (tk-cli): global Cargo.toml
xtask: global Cargo.toml
",
    );
}

// =============================================================================================
// nu-layout (nushell)

#[test]
fn nu_protocol_reaches_every_binary() {
    touched(&NU, &["crates/nu-protocol/src/lib.rs"], "
packages: nu-protocol nu-cli nu-cmd-extra nu nu-plugin nu-test-support nu_plugin_inc nu_plugin_query
nu: dependency crates/nu-protocol/src/lib.rs via nu-protocol -> nu
nu_plugin_inc: dependency crates/nu-protocol/src/lib.rs via nu-protocol -> nu-plugin -> nu_plugin_inc
nu_plugin_query: dependency crates/nu-protocol/src/lib.rs via nu-protocol -> nu-plugin -> nu_plugin_query
");
    touched(&NU, &["crates/nu-protocol/build.rs"], "
packages: nu-protocol nu-cli nu-cmd-extra nu nu-plugin nu-test-support nu_plugin_inc nu_plugin_query
nu: dependency crates/nu-protocol/build.rs via nu-protocol -> nu
nu_plugin_inc: dependency crates/nu-protocol/build.rs via nu-protocol -> nu-plugin -> nu_plugin_inc
nu_plugin_query: dependency crates/nu-protocol/build.rs via nu-protocol -> nu-plugin -> nu_plugin_query
");
}

#[test]
fn nu_plugin_library() {
    touched(
        &NU,
        &["crates/nu-plugin/src/lib.rs"],
        "
packages: nu-plugin nu_plugin_inc nu_plugin_query
nu_plugin_inc: dependency crates/nu-plugin/src/lib.rs via nu-plugin -> nu_plugin_inc
nu_plugin_query: dependency crates/nu-plugin/src/lib.rs via nu-plugin -> nu_plugin_query
",
    );
}

#[test]
fn nu_bin_only_package_main() {
    touched(
        &NU,
        &["crates/nu_plugin_inc/src/main.rs"],
        "
packages: nu_plugin_inc
nu_plugin_inc: path crates/nu_plugin_inc/src/main.rs
",
    );
}

#[test]
fn nu_root_package_lib_and_main() {
    touched(
        &NU,
        &["src/main.rs"],
        "
packages: nu
nu: path src/main.rs
",
    );
    touched(
        &NU,
        &["src/lib.rs"],
        "
packages: nu
nu: path src/lib.rs
",
    );
    touched(&NU, &["benches/benchmarks.rs"], "");
}

#[test]
fn nu_optional_workspace_dependency() {
    touched(
        &NU,
        &["crates/nu-cmd-extra/src/lib.rs"],
        "
packages: nu-cmd-extra nu
nu: dependency crates/nu-cmd-extra/src/lib.rs via nu-cmd-extra -> nu
",
    );
}

#[test]
fn nu_dev_only_package() {
    touched(
        &NU,
        &["crates/nu-test-support/src/lib.rs"],
        "packages: nu-test-support",
    );
    tests(
        &NU,
        &["crates/nu-test-support/src/lib.rs"],
        "packages: nu-cli nu nu-test-support",
    );
}

#[test]
fn nu_lock_bump_of_an_inherited_build_dependency() {
    lock_bumped(
        &NU,
        Mode::Binaries,
        "itoa",
        "1.0.18",
        "
packages: nu-protocol nu-cli nu-cmd-extra nu nu-plugin nu-test-support nu_plugin_inc nu_plugin_query
nu: lockfile itoa via itoa -> nu-protocol -> nu
nu_plugin_inc: lockfile itoa via itoa -> nu-protocol -> nu-plugin -> nu_plugin_inc
nu_plugin_query: lockfile itoa via itoa -> nu-protocol -> nu-plugin -> nu_plugin_query
",
    );
}

#[test]
fn nu_lock_bump_of_a_dev_only_dependency() {
    lock_bumped(&NU, Mode::Binaries, "cfg-if", "1.0.4", "");
    lock_bumped(&NU, Mode::Tests, "cfg-if", "1.0.4", "packages: nu-cli");
}

#[test]
fn nu_workspace_manifest_is_global() {
    touched(
        &NU,
        &["Cargo.toml"],
        "
packages: nu-protocol nu-cli nu-cmd-extra nu nu-plugin nu-test-support nu_plugin_inc nu_plugin_query
nu: global Cargo.toml
nu_plugin_inc: global Cargo.toml
nu_plugin_query: global Cargo.toml
",
    );
}
