//! Realistic layouts: fixtures shaped like popular open-source workspaces, and for each
//! interesting path the exact set of binaries the path rules of docs/design.md give, worked out by
//! hand from the fixture's manifests. Here a few end to end (one per fixture, and the cases
//! where the engine reads manifests itself); every case is in the fast layer,
//! `graph/tests/rules/realistic.rs`, over the fixtures' committed metadata.
//!
//! - `rg-layout` (ripgrep): the root package `rgl` is also the workspace root; its only bin is
//!   `crates/core/main.rs` (`crates/core/` is no package), it has a `build.rs`, `autotests =
//!   false` with a `[[test]]`, and the members are listed one by one. `fuzz/` is a separate
//!   workspace inside the root package's directory.
//!
//!   | package        | bins                                   | depends on (normal unless marked) |
//!   |----------------|----------------------------------------|-----------------------------------|
//!   | `grep-matcher` |                                        |                                   |
//!   | `grep-winutil` |                                        |                                   |
//!   | `grep-printer` |                                        | `grep-matcher`; cfg(windows): `grep-winutil` |
//!   | `grep-searcher`, `grep-regex`, `grep-pcre2` |           | `grep-matcher`                    |
//!   | `grep`         |                                        | `grep-matcher`, `grep-printer`, `grep-regex`, `grep-searcher`, optional `grep-pcre2` |
//!   | `globset`      | (bench `benches/bench.rs`)             |                                   |
//!   | `ignore`       | `walk` (`src/bin/walk/main.rs`)        | `globset`; cfg(windows): `cfg-if` |
//!   | `grep-cli`     | `grep-cli` (`src/main.rs`, beside a lib) | `globset`                       |
//!   | `rgl` (root)   | `rgl` (`crates/core/main.rs`)          | `grep`, `ignore`, `rgcli = { package = "grep-cli" }` |
//!
//! - `tk-layout` (tokio, bevy, gitoxide): a virtual workspace, `members = ["crates/*",
//!   "crates/core/macros", "crates/cli/completions", "tools/xtask"]`, `exclude =
//!   ["crates/legacy-shim", "fuzz"]`, `default-members`, `[workspace.package]` and
//!   `[workspace.dependencies]` inherited by the members.
//!
//!   | package          | dir                      | bins | depends on (normal unless marked) |
//!   |------------------|--------------------------|------|-----------------------------------|
//!   | `tk-macros`      | `crates/core/macros` (proc-macro, nested in `tk-core`) | | |
//!   | `tk-core`        | `crates/core`            |      | `itoa` (workspace), `tk-macros` (workspace) |
//!   | `tk-sys`         | `crates/sys`, `build = "build/main.rs"` | |                   |
//!   | `tk-win`         | `crates/win`             |      | `cfg-if`                          |
//!   | `tk-ffi`         | `crates/ffi`, `crate-type = ["cdylib", "rlib"]` | | `tk-core`  |
//!   | `tk-cli`         | `crates/cli`, `autobins = false` | `tk` (`src/main.rs`), `tk-admin` (`src/admin/main.rs`, `required-features`) | `tk-core`; cfg(windows): `tk-win`; build: `tk-sys` |
//!   | `tk-completions` | `crates/cli/completions` (nested in `tk-cli`) | |              |
//!   | `tk-server`      | `crates/server`          | `tk-server` (`src/main.rs`), `tk-probe` (`src/bin/tk-probe.rs`), `tk-bench` (`src/bin/tk-bench/main.rs`) | `runtime = { package = "tk-core" }`, optional `tk-ffi`, `legacy-shim` |
//!   | `xtask`          | `tools/xtask`            | `xtask` | `tk-completions`               |
//!   | `legacy-shim`    | `crates/legacy-shim`, excluded: not a member | | `shim-sys`     |
//!   | `shim-sys`       | `vendor/shim-sys`, not a member | | `cfg-if`                     |
//!
//!   `fuzz/` is an excluded crate (no `[workspace]` of its own) outside every member.
//!
//! - `nu-layout` (nushell): the root package `nu` (lib, bin `src/main.rs`, bench) is the
//!   workspace root; members are listed and globbed (`crates/nu_plugin_*`), and every path
//!   dependency comes from `[workspace.dependencies]`.
//!
//!   | package           | bins              | depends on (normal unless marked)                  |
//!   |-------------------|-------------------|----------------------------------------------------|
//!   | `nu-protocol`     |                   | build: `itoa`                                      |
//!   | `nu-cli`          |                   | `nu-protocol`; dev: `cfg-if`, `nu-test-support`    |
//!   | `nu-cmd-extra`, `nu-test-support`, `nu-plugin` | | `nu-protocol`                      |
//!   | `nu_plugin_inc`   | `nu_plugin_inc` (bin only) | `nu-plugin`                               |
//!   | `nu_plugin_query` | `nu_plugin_query` (beside a lib) | `nu-plugin`                         |
//!   | `nu` (root)       | `nu`              | `nu-cli`, `nu-protocol`, optional `nu-cmd-extra`; dev: `nu-test-support` |
//!
//! Every fixture builds with `cargo build --offline` and has a lock file written by cargo, with
//! `itoa` and `cfg-if` as its only crates.io packages.

use std::collections::BTreeSet;

use rbee_graph_testdata::Repo;
use serde_json::Value;

use crate::util::*;

fn touched(fixture: &str, paths: &[&str]) -> Value {
    let repo = Repo::from_fixture(fixture);
    let v = affected_after(&repo, &[], |r| {
        for path in paths {
            touch(r, path);
        }
    });
    assert_eq!(changed(&v), sorted(paths), "{v:#}");
    v
}

fn lock_bumped(fixture: &str, extra: &[&str], name: &str, version: &str) -> Value {
    let repo = Repo::from_fixture(fixture);
    let v = affected_after(&repo, extra, |r| {
        bump_lock_entry(r, "Cargo.lock", name, version)
    });
    assert_eq!(changed(&v), ["Cargo.lock"], "{v:#}");
    v
}

fn union(sets: &[&BTreeSet<BinPair>]) -> BTreeSet<BinPair> {
    sets.iter().flat_map(|s| s.iter().cloned()).collect()
}

// =============================================================================================
// rg-layout (ripgrep)

const RG: &str = "rg-layout";
const RGL: (&str, &str) = ("rgl", "rgl");
const GREP_CLI: (&str, &str) = ("grep-cli", "grep-cli");

#[test]
fn rg_renamed_dependency_is_named_by_its_package() {
    // The root depends on grep-cli as `rgcli`.
    let path = "crates/cli/src/lib.rs";
    let v = touched(RG, &[path]);
    assert_eq!(bins(&v), pairs(&[RGL, GREP_CLI]));
    assert_reason(&v, GREP_CLI, "path", Some("grep-cli"), path);
    let reason = assert_reason(&v, RGL, "dependency", Some("grep-cli"), path);
    assert_eq!(reason.chain, ["grep-cli", "rgl"]);
}

// =============================================================================================
// tk-layout (tokio, bevy, gitoxide)

const TK: &str = "tk-layout";
const TK_BIN: (&str, &str) = ("tk", "tk-cli");
const TK_ADMIN: (&str, &str) = ("tk-admin", "tk-cli");
const TK_SERVER: (&str, &str) = ("tk-server", "tk-server");
const TK_PROBE: (&str, &str) = ("tk-probe", "tk-server");
const TK_BENCH: (&str, &str) = ("tk-bench", "tk-server");
const XTASK: (&str, &str) = ("xtask", "xtask");

fn tk_cli() -> BTreeSet<BinPair> {
    pairs(&[TK_BIN, TK_ADMIN])
}

fn tk_server() -> BTreeSet<BinPair> {
    pairs(&[TK_SERVER, TK_PROBE, TK_BENCH])
}

fn tk_all() -> BTreeSet<BinPair> {
    union(&[&tk_cli(), &tk_server(), &pairs(&[XTASK])])
}

#[test]
fn tk_lock_bump_reaches_through_non_member_path_packages() {
    // cfg-if: tk-win -> tk-cli, and shim-sys -> legacy-shim -> tk-server. Rule 2: every
    // workspace package that reaches it through normal or build dependencies. End to end
    // because the engine must read legacy-shim's manifest from the disk to know shim-sys,
    // which `cargo metadata --no-deps` does not describe.
    let v = lock_bumped(TK, &[], "cfg-if", "1.0.4");
    assert_eq!(bins(&v), union(&[&tk_cli(), &tk_server()]));
    let reason = assert_reason(&v, TK_SERVER, "lockfile", Some("cfg-if"), "Cargo.lock");
    assert_eq!(
        reason.chain,
        ["cfg-if", "shim-sys", "legacy-shim", "tk-server"]
    );
}

#[test]
fn tk_cached_graph_follows_a_non_member_manifest() {
    // shim-sys is a path dependency of legacy-shim, which is not a member either: cargo's
    // metadata describes neither, the metadata cache's key does not list shim-sys's manifest,
    // and the engine reads it from the disk. The graph cached by an earlier run must not
    // outlive an edit there.
    let repo = Repo::from_fixture(TK);
    let before = graph_dependencies(&repo, "shim-sys");
    assert!(
        before.iter().all(|d| d.starts_with("cfg-if ")),
        "{before:?}"
    );
    repo.write(
        "vendor/shim-extra/Cargo.toml",
        "[package]\nname = \"shim-extra\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    repo.write("vendor/shim-extra/src/lib.rs", "");
    repo.append(
        "vendor/shim-sys/Cargo.toml",
        "shim-extra = { path = \"../shim-extra\" }\n",
    );
    let after = graph_dependencies(&repo, "shim-sys");
    assert!(after.contains(&"shim-extra".to_owned()), "{after:?}");
}

#[test]
fn tk_workspace_dependencies_edit_is_global() {
    let repo = Repo::from_fixture(TK);
    let v = affected_after(&repo, &[], |r| {
        r.replace("Cargo.toml", "itoa = \"1.0\"", "itoa = \"1.0.1\"")
    });
    assert_eq!(changed(&v), ["Cargo.toml"]);
    assert_eq!(bins(&v), tk_all());
    assert_every_reason(&v, "global", None, "Cargo.toml");
}

// =============================================================================================
// nu-layout (nushell)

const NU: &str = "nu-layout";
const NU_BIN: (&str, &str) = ("nu", "nu");
const INC: (&str, &str) = ("nu_plugin_inc", "nu_plugin_inc");
const QUERY: (&str, &str) = ("nu_plugin_query", "nu_plugin_query");

#[test]
fn nu_lock_bump_of_an_inherited_build_dependency() {
    let v = lock_bumped(NU, &[], "itoa", "1.0.18");
    assert_eq!(bins(&v), pairs(&[NU_BIN, INC, QUERY]));
    let reason = assert_reason(&v, INC, "lockfile", Some("itoa"), "Cargo.lock");
    assert_eq!(
        reason.chain,
        ["itoa", "nu-protocol", "nu-plugin", "nu_plugin_inc"]
    );
}
