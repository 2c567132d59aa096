//! `testdata/metadata/rbee.json` is what `cargo metadata --format-version 1 --no-deps` says
//! about the fixture `testdata/repos/rbee`, with the fixture's absolute directory replaced by
//! [`FAKE_ROOT`] so that the file is the same on every machine (the graph's tests and its doc
//! example use it with the repository root `/repo`). This test runs cargo on the fixture,
//! applies the same rewrite and checks that the committed file still matches.
//!
//! After a change to the fixture's manifests, regenerate the file with
//!
//! ```sh
//! RBEE_GRAPH_BLESS=1 cargo test -p rbee-graph-testdata --test metadata
//! ```

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Where the fixture's workspace root pretends to be.
const FAKE_ROOT: &str = "/repo";

/// The committed file, relative to this crate.
const COMMITTED: &str = "metadata/rbee.json";

/// Cargo's answer for the fixture, rewritten and normalized as committed.
fn current() -> Value {
    let fixture = rbee_graph_testdata::fixture_dir("rbee");
    let fixture = fixture.canonicalize().expect("the rbee fixture exists");
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

/// Panics unless every absolute path in `value` lies under [`FAKE_ROOT`].
fn assert_under_fake_root(value: &Value) {
    match value {
        Value::String(s) => {
            let path = s.strip_prefix("path+file://").unwrap_or(s);
            let inside = path == FAKE_ROOT
                || path.starts_with(&format!("{FAKE_ROOT}/"))
                || path.starts_with(&format!("{FAKE_ROOT}#"));
            assert!(
                !path.starts_with('/') || inside,
                "testdata/{COMMITTED} names a path outside {FAKE_ROOT}: {s}"
            );
        }
        Value::Array(items) => items.iter().for_each(assert_under_fake_root),
        Value::Object(map) => map.values().for_each(assert_under_fake_root),
        _ => {}
    }
}

#[test]
fn committed_metadata_matches_the_fixture() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    let now = current();
    if std::env::var_os("RBEE_GRAPH_BLESS").is_some_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&now).expect("serialize") + "\n";
        std::fs::write(&file, text).expect("write the metadata file");
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read the committed metadata"))
            .expect("the committed metadata is JSON");
    assert_eq!(committed["workspace_root"], FAKE_ROOT);
    assert_under_fake_root(&committed);
    assert!(
        committed == now,
        "testdata/{COMMITTED} no longer matches `cargo metadata` of the rbee fixture; \
         regenerate it with `RBEE_GRAPH_BLESS=1 cargo test -p rbee-graph-testdata --test \
         metadata` and review the diff"
    );
}
