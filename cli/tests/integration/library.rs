//! The rbee fixture's cascade spawning through the library, as the real rbee would adopt it:
//! `daemon-lifecycle` calls `rbee_graph_engine::ensure` on a `current_thread` runtime without
//! drivers and streams cargo's output to its users as narration (see the fixture's
//! `libs/daemon-lifecycle/src/library_hook.rs`).
//!
//! This compiles the engine (and gix) into the fixture once, in a target directory under
//! cargo's `CARGO_TARGET_TMPDIR` that outlives the test, so later runs reuse it.

use std::path::{Path, PathBuf};

use rbee_graph_testdata::Repo;

use crate::util::{BIN, command};

/// The rbee fixture with `daemon-lifecycle`'s `library-hook` on, depending on this checkout's
/// engine without its `watch` feature.
fn with_library_hook() -> Repo {
    let repo = Repo::from_fixture("rbee");
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the checkout");
    let engine = checkout.join("engine");
    repo.replace(
        "libs/daemon-lifecycle/Cargo.toml",
        "library-hook = []",
        "default = [\"library-hook\"]\nlibrary-hook = [\"dep:rbee-graph-engine\", \"dep:tokio\"]",
    );
    repo.replace(
        "libs/daemon-lifecycle/Cargo.toml",
        "[dependencies]\n",
        &format!(
            "[dependencies]\nrbee-graph-engine = {{ path = {:?}, default-features = false, optional = true }}\ntokio = {{ version = \"1\", default-features = false, features = [\"rt\"], optional = true }}\n",
            engine.display().to_string()
        ),
    );
    // This checkout's lock pins what the engine needs (and the fixture's own three crates at
    // the same versions), so nothing is fetched and cargo reuses what it can.
    let lock = std::fs::read_to_string(checkout.join("Cargo.lock")).expect("the checkout's lock");
    repo.write("Cargo.lock", &lock);
    repo.commit("daemon-lifecycle spawns through the rbee-graph library");
    repo
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("library-hook-target")
}

fn rbee_graph(repo: &Repo, args: &[&str]) -> std::process::Output {
    let mut cmd = command(BIN, repo);
    cmd.env("CARGO_TARGET_DIR", target_dir())
        .args(args)
        .current_dir(repo.workspace());
    cmd.output().expect("run rbee-graph")
}

#[test]
fn the_cascade_spawns_through_the_library_and_streams_cargos_output_as_narration() {
    let repo = with_library_hook();
    let built = rbee_graph(&repo, &["build", "--cascade", "rbee-keeper"]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    // queen-rbee and the worker change: rbee-keeper's spawn of queen-rbee, and rbee-hive's of
    // the worker, rebuild them through the library before spawning.
    repo.append("bin/queen-rbee/src/main.rs", "\n// edited\n");
    repo.append("bin/llm-worker-rbee/src/worker.rs", "\n// edited\n");
    let out = command(target_dir().join("debug/rbee-keeper"), &repo)
        .env("CARGO_TARGET_DIR", target_dir())
        .current_dir(repo.workspace())
        .output()
        .expect("run rbee-keeper");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for daemon in ["rbee-keeper", "queen-rbee", "rbee-hive", "llm-worker-rbee"] {
        assert!(
            stdout.contains(&format!("[{daemon}] started")),
            "{daemon} was spawned:\n{stdout}\n{stderr}"
        );
    }
    assert!(
        stdout.contains("[build]") && stdout.contains("Compiling queen-rbee"),
        "cargo's output reached the daemon's callback, as narration:\n{stdout}"
    );
    assert!(
        stdout.contains("Compiling llm-worker-rbee"),
        "rbee-hive rebuilt the worker through the library:\n{stdout}"
    );
    let status = rbee_graph(&repo, &["status", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON");
    let cascade = ["rbee-keeper", "queen-rbee", "rbee-hive", "llm-worker-rbee"];
    for b in v["binaries"].as_array().expect("binaries") {
        if cascade.iter().any(|d| b["name"] == *d) {
            assert_eq!(
                b["fresh"], true,
                "what the library built is recorded: {b:#}"
            );
        }
    }
}
