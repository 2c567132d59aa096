//! `testdata/metadata/<fixture>.json` is what `cargo metadata --format-version 1 --no-deps`
//! says about the fixture `testdata/repos/<fixture>`, with the fixture's absolute directory
//! replaced by [`FAKE_ROOT`] so that the file is the same on every machine (the graph's tests
//! and its doc example use them with the repository root `/repo`, or a directory above it for a
//! workspace in a subdirectory). This test runs cargo on each fixture of [`FIXTURES`], applies
//! the same rewrite and checks that the committed file still matches.
//!
//! After a change to a fixture's manifests, regenerate the files with
//!
//! ```sh
//! RBEE_GRAPH_BLESS=1 cargo test -p rbee-graph-testdata --test metadata
//! ```

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Where the fixture's workspace root pretends to be.
const FAKE_ROOT: &str = "/repo";

/// The fixtures whose metadata is committed, each as `metadata/<fixture>.json` in this crate.
const FIXTURES: &[&str] = &[
    "rbee",
    "root-package",
    "same-names",
    "rg-layout",
    "tk-layout",
    "nu-layout",
];

/// Cargo's answer for the fixture `name`, rewritten and normalized as committed.
fn current(name: &str) -> Value {
    let fixture = rbee_graph_testdata::fixture_dir(name);
    let fixture = fixture
        .canonicalize()
        .unwrap_or_else(|e| panic!("the {name} fixture exists: {e}"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(fixture.join("Cargo.toml"))
        .current_dir(&fixture)
        // Where the target directory is does not belong in the file (see `normalize`), but
        // keep cargo from reading a caller's choice anyway.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut json: Value = serde_json::from_slice(&output.stdout).expect("cargo prints JSON");
    let root = fixture.to_str().expect("the fixture path is UTF-8");
    rewrite(&mut json, root);
    normalize(&mut json);
    json
}

/// Replaces the fixture's directory with [`FAKE_ROOT`] wherever a path starts with it:
/// `workspace_root`, `manifest_path`, `src_path`, dependency `path`s, and the package ids
/// (`path+file:///.../rbee/bin/queen-rbee#0.1.0`).
fn rewrite(value: &mut Value, root: &str) {
    match value {
        Value::String(s) => {
            for prefix in ["", "path+file://"] {
                let from = format!("{prefix}{root}");
                if let Some(rest) = s.strip_prefix(&from)
                    && (rest.is_empty() || rest.starts_with(['/', '#']))
                {
                    *s = format!("{prefix}{FAKE_ROOT}{rest}");
                    break;
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, root)),
        Value::Object(map) => map.values_mut().for_each(|v| rewrite(v, root)),
        _ => {}
    }
}

/// What differs by machine or toolchain and that nothing reads from the file: the target
/// directory (cargo's configuration can put it anywhere) is set to `<root>/target`, and
/// `build_directory` (printed by cargo 1.91 and newer only) is dropped.
fn normalize(json: &mut Value) {
    let map = json
        .as_object_mut()
        .expect("cargo metadata prints an object");
    map.insert(
        "target_directory".to_owned(),
        Value::String(format!("{FAKE_ROOT}/target")),
    );
    map.remove("build_directory");
}

/// Panics unless every absolute path in `value` lies under [`FAKE_ROOT`]; `file` names the
/// committed file in the message.
fn assert_under_fake_root(value: &Value, file: &str) {
    match value {
        Value::String(s) => {
            let path = s.strip_prefix("path+file://").unwrap_or(s);
            let inside = path == FAKE_ROOT
                || path.starts_with(&format!("{FAKE_ROOT}/"))
                || path.starts_with(&format!("{FAKE_ROOT}#"));
            assert!(
                !path.starts_with('/') || inside,
                "testdata/{file} names a path outside {FAKE_ROOT}: {s}"
            );
        }
        Value::Array(items) => items.iter().for_each(|v| assert_under_fake_root(v, file)),
        Value::Object(map) => map.values().for_each(|v| assert_under_fake_root(v, file)),
        _ => {}
    }
}

#[test]
fn committed_metadata_matches_the_fixtures() {
    let bless = std::env::var_os("RBEE_GRAPH_BLESS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for name in FIXTURES {
        let committed_path = format!("metadata/{name}.json");
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(&committed_path);
        let now = current(name);
        if bless {
            let text = serde_json::to_string_pretty(&now).expect("serialize") + "\n";
            std::fs::write(&file, text).expect("write the metadata file");
        }
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("read testdata/{committed_path}: {e}"));
        let committed: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("testdata/{committed_path} is not JSON: {e}"));
        assert_eq!(committed["workspace_root"], FAKE_ROOT, "{committed_path}");
        assert_under_fake_root(&committed, &committed_path);
        if committed != now {
            stale.push(committed_path);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} no longer match `cargo metadata` of their fixtures; regenerate them with \
         `RBEE_GRAPH_BLESS=1 cargo test -p rbee-graph-testdata --test metadata` and review the \
         diff"
    );
}
