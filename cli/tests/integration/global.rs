//! Path rule 1, end to end: workspace-global files affect every binary. The other global
//! files, and global files beside other changes, are in the fast layer,
//! `graph/tests/rules/global.rs`.

use rbee_graph_testdata::Repo;

use crate::util::*;

/// Asserts that `v` affects every binary of the rbee fixture, each because of the global `path`,
/// and that `path` is the only change.
fn assert_global(v: &serde_json::Value, path: &str) {
    assert_eq!(changed(v), [path]);
    assert_eq!(bins(v), all_rbee_bins());
    assert_every_reason(v, "global", None, path);
    assert_eq!(
        package_set(v),
        names(RBEE_MEMBERS),
        "every package is affected"
    );
}

#[test]
fn root_manifest_is_global() {
    let repo = Repo::from_fixture("rbee");
    let v = affected_after(&repo, &[], |r| touch(r, "Cargo.toml"));
    assert_global(&v, "Cargo.toml");
}

#[test]
fn rust_toolchain_toml_is_global() {
    let repo = Repo::from_fixture("rbee");
    let v = affected_after(&repo, &[], |r| {
        r.write(
            "rust-toolchain.toml",
            &format!("[toolchain]\nchannel = \"{}\"\n", current_toolchain()),
        )
    });
    assert_global(&v, "rust-toolchain.toml");
}

#[test]
fn cargo_config_toml_is_global() {
    let repo = Repo::from_fixture("rbee");
    let v = affected_after(&repo, &[], |r| {
        r.write(".cargo/config.toml", "[env]\nRBEE_FIXTURE = \"1\"\n")
    });
    assert_global(&v, ".cargo/config.toml");
}

#[test]
fn a_pinned_toolchain_that_is_not_installed_does_not_stop_affected() {
    // rustup refuses to run cargo for a toolchain that is not installed; `cargo metadata
    // --no-deps` reads manifests the same with any cargo, so rbee-graph falls back to rustup's
    // default toolchain (and says so). Only meaningful where rustup manages cargo.
    let home = std::env::var_os("RUSTUP_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".rustup")));
    if !home.is_some_and(|h| h.join("settings.toml").is_file()) {
        eprintln!("skipped: rustup is not managing this toolchain");
        return;
    }
    let repo = Repo::from_fixture("rbee");
    repo.write("rust-toolchain.toml", "[toolchain]\nchannel = \"1.60.0\"\n");
    repo.commit("pin an old toolchain");
    repo.append("libs/narration-core/src/lib.rs", "\n// edit\n");
    let mut cmd = std::process::Command::new(BIN);
    rbee_graph_testdata::configure_git_env(&mut cmd);
    let o = cmd
        .args(["affected", "--base", "HEAD", "--format", "json"])
        .current_dir(repo.workspace())
        // `cargo` from PATH (rustup's proxy), not the toolchain's own cargo that `cargo test`
        // puts in $CARGO.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env("RUSTUP_AUTO_INSTALL", "0")
        .env("NO_COLOR", "1")
        .output()
        .expect("run rbee-graph");
    let out = Run {
        code: o.status.code(),
        stdout: String::from_utf8(o.stdout).expect("utf-8"),
        stderr: String::from_utf8(o.stderr).expect("utf-8"),
    };
    assert!(
        out.stderr.contains("1.60.0"),
        "the fallback is announced: {out:#?}"
    );
    let v: serde_json::Value = serde_json::from_str(out.success()).expect("json");
    assert_eq!(bins(&v), all_but_xtask(), "{v:#}");
}
