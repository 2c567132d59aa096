//! The pre-spawn hook as a daemon calls it: from every tokio runtime flavour, with concurrent
//! callers, from synchronous code, with cargo's output streamed to a callback. Each test makes
//! its own binary of one shared rbee fixture stale (an edit of that binary's own source), so
//! the tests can run side by side, and then asks for it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rbee_graph_engine::{CargoOutput, EnsureOptions, Error, StatusOptions};
use rbee_graph_testdata::Repo;

/// One fixture for the whole test binary; its target directory is shared, so cargo compiles
/// the libraries once.
fn repo() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| Repo::from_fixture("rbee"))
}

fn manifest() -> PathBuf {
    repo().workspace().join("Cargo.toml")
}

/// Edits `binary`'s own source so that it is stale (and stays compilable).
fn make_stale(source: &str, tag: &str) {
    repo().append(
        source,
        &format!("\n#[allow(dead_code)]\nconst EDIT_{tag}: u32 = 1;\n"),
    );
}

fn options(binary: &str, output: CargoOutput) -> EnsureOptions {
    EnsureOptions {
        manifest_path: Some(manifest()),
        binary: binary.to_owned(),
        output,
        ..EnsureOptions::default()
    }
}

fn assert_fresh(binary: &str) {
    let (_, verdicts) = rbee_graph_engine::status(&StatusOptions {
        manifest_path: Some(manifest()),
        ..StatusOptions::default()
    })
    .expect("status");
    let verdict = verdicts
        .iter()
        .find(|v| v.binary.name == binary)
        .expect("the binary is in the workspace");
    assert!(
        verdict.is_fresh(),
        "{binary} must be fresh after ensure: {:?}",
        verdict.reasons
    );
}

/// Three callers at once on `runtime`: all get the same, fresh binary.
fn concurrent_callers(runtime: tokio::runtime::Runtime, binary: &str, source: &str, tag: &str) {
    make_stale(source, tag);
    let opts = options(binary, CargoOutput::Discard);
    let (a, b, c) = runtime.block_on(async {
        tokio::join!(
            rbee_graph_engine::ensure(&opts),
            rbee_graph_engine::ensure(&opts),
            rbee_graph_engine::ensure(&opts),
        )
    });
    let paths: Vec<PathBuf> = [a, b, c]
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("ensure {binary}: {e}")))
        .collect();
    assert!(paths[0].is_file(), "{} exists", paths[0].display());
    assert!(
        paths.iter().all(|p| *p == paths[0]),
        "every caller gets one path: {paths:?}"
    );
    assert_fresh(binary);
}

#[test]
fn current_thread_without_drivers() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    concurrent_callers(
        runtime,
        "rbee-keeper",
        "bin/rbee-keeper/src/main.rs",
        "KEEPER",
    );
}

#[test]
fn current_thread_with_drivers() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    concurrent_callers(runtime, "queen-rbee", "bin/queen-rbee/src/main.rs", "QUEEN");
}

#[test]
fn multi_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    concurrent_callers(runtime, "rbee-hive", "bin/rbee-hive/src/main.rs", "HIVE");
}

#[test]
fn synchronous_callers_on_plain_threads() {
    make_stale("bin/rbee-hive/src/bin/hive-check.rs", "CHECK");
    let opts = options("hive-check", CargoOutput::Discard);
    let paths: Vec<PathBuf> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| rbee_graph_engine::ensure_blocking(&opts)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic").expect("ensure_blocking"))
            .collect()
    });
    assert!(paths.iter().all(|p| *p == paths[0] && p.is_file()));
    assert_fresh("hive-check");
}

/// While cargo runs, the caller's only runtime thread is free: the callback (on the engine's
/// thread) waits for a task of the caller's runtime, which can only run if the engine does not
/// hold that thread.
#[test]
fn the_callers_thread_is_free_while_the_engine_works_and_cargo_lines_reach_the_callback() {
    make_stale("bin/llm-worker-rbee/src/worker.rs", "WORKER");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let waiting = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let answered = Arc::new(AtomicUsize::new(0));
    let output = {
        let (lines, waiting, answered) = (lines.clone(), waiting.clone(), answered.clone());
        CargoOutput::lines(move |line| {
            lines.lock().expect("lines").push(line.to_owned());
            if !waiting.swap(true, Ordering::SeqCst) {
                let got = rx.lock().expect("rx").recv_timeout(Duration::from_secs(60));
                if got.is_ok() {
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let opts = options("llm-worker-rbee", output);
    let path = runtime.block_on(async {
        let answer = async {
            while !waiting.load(Ordering::SeqCst) {
                tokio::task::yield_now().await;
            }
            let _ = tx.send(());
        };
        let (path, ()) = tokio::join!(rbee_graph_engine::ensure(&opts), answer);
        path
    });
    let path = path.expect("ensure llm-worker-rbee");
    assert!(path.is_file());
    assert_eq!(
        answered.load(Ordering::SeqCst),
        1,
        "a task on the caller's runtime ran while cargo was building"
    );
    let lines = lines.lock().expect("lines");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Compiling llm-worker-rbee")),
        "cargo's progress reaches the callback, line by line: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.contains('\n') && !l.contains('\u{1b}')),
        "one line per call, without colour: {lines:#?}"
    );
}

#[test]
fn a_failed_build_carries_the_compilers_errors() {
    let repo = Repo::from_fixture("rbee");
    repo.replace(
        "bin/rbee-keeper/src/main.rs",
        "daemon_lifecycle::announce(\"rbee-keeper\");",
        "daemon_lifecycle::announce(undefined_name);",
    );
    let opts = EnsureOptions {
        manifest_path: Some(repo.workspace().join("Cargo.toml")),
        binary: "rbee-keeper".to_owned(),
        output: CargoOutput::Discard,
        ..EnsureOptions::default()
    };
    match rbee_graph_engine::ensure_blocking(&opts) {
        Err(Error::BuildFailed { binaries, errors }) => {
            assert_eq!(binaries, ["rbee-keeper"]);
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains("E0425") && e.contains("undefined_name")),
                "the compiler's error is in the error: {errors:#?}"
            );
        }
        other => panic!("expected a failed build, got {other:?}"),
    }
}
