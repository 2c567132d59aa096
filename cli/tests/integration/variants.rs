//! Builds as the user's own `cargo build` does them: the real rbee worker's variants behind
//! required features (the `worker-variants` fixture), feature resolution as without `-p`,
//! binaries a machine cannot build, cargo's flags, exit statuses, `cargo rbee-graph`.

use std::path::PathBuf;

use rbee_graph_testdata::{Repo, tempfile};
use serde_json::Value;

use crate::util::{BIN, Run, affected_json, bins, command, output, real_cargo};

const CPU: &str = "llm-worker-rbee-cpu";
const CUDA: &str = "llm-worker-rbee-cuda";
const METAL: &str = "llm-worker-rbee-metal";

/// The worker-variants fixture; `requires` appended to its configuration when given.
fn variants(requires: Option<&str>) -> Repo {
    let repo = Repo::from_fixture("worker-variants");
    if let Some(requires) = requires {
        repo.append("Cargo.toml", requires);
        repo.commit("what this machine needs for each variant");
    }
    repo
}

const REQUIRES: &str = r#"
[workspace.metadata.rbee-graph.requires]
llm-worker-rbee-cuda = { env = "CUDA_PATH" }
llm-worker-rbee-metal = { os = "macos" }
"#;

/// `rbee-graph ARGS` in the workspace, with `CUDA_PATH` set to `cuda` or not set at all.
fn rg(repo: &Repo, args: &[&str], cuda: Option<&str>) -> Run {
    let mut cmd = command(BIN, repo);
    cmd.args(args).current_dir(repo.workspace());
    if let Some(path) = cuda {
        cmd.env("CUDA_PATH", path);
    }
    output(&mut cmd)
}

fn exe(repo: &Repo, name: &str) -> PathBuf {
    repo.workspace().join("target/debug").join(name)
}

/// What the binary prints.
fn runs(repo: &Repo, name: &str) -> String {
    let out = command(exe(repo, name), repo)
        .output()
        .unwrap_or_else(|e| panic!("run {name}: {e}"));
    assert!(out.status.success(), "{name} runs");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

fn record(repo: &Repo, package: &str, name: &str) -> Value {
    let dir = repo.workspace().join("target/rbee-graph/records");
    let triple = std::fs::read_dir(&dir)
        .expect("records")
        .flatten()
        .next()
        .expect("a triple directory")
        .path();
    let path = triple
        .join("dev")
        .join(package)
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("a record is JSON")
}

fn status(repo: &Repo, cuda: Option<&str>) -> Value {
    let run = rg(repo, &["status", "--format", "json"], cuda);
    run.json()
}

fn entry<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["binaries"]
        .as_array()
        .expect("binaries")
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {v:#}"))
}

#[test]
fn the_cpu_variant_builds_and_the_others_are_skipped_as_configured() {
    let repo = variants(Some(REQUIRES));
    let run = rg(&repo, &["build"], None);
    run.success();
    assert!(
        run.stderr
            .contains("skipped llm-worker-rbee-cuda: cannot be built here: CUDA_PATH is not set"),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains(&format!("skipped {METAL}")) || cfg!(target_os = "macos"),
        "{run:#?}"
    );
    assert_eq!(
        runs(&repo, CPU),
        "llm-worker-rbee-cpu backends=cpu narration=on"
    );
    assert!(!exe(&repo, CUDA).exists(), "nothing was built for cuda");
    assert_eq!(
        record(&repo, "llm-worker-rbee", CPU)["features"],
        serde_json::json!(["cpu"]),
        "the record holds the features cargo enabled for the package"
    );

    let v = status(&repo, None);
    assert_eq!(entry(&v, CPU)["fresh"], true, "{v:#}");
    assert_eq!(entry(&v, "queen-rbee")["fresh"], true, "{v:#}");
    assert_eq!(
        entry(&v, CUDA)["unbuildable"],
        "CUDA_PATH is not set",
        "status says why instead of calling it stale forever: {v:#}"
    );
    let text = rg(&repo, &["status"], None);
    assert!(
        text.success()
            .lines()
            .any(|l| l.starts_with("llm-worker-rbee-cuda") && l.contains("skip")),
        "{text:#?}"
    );

    // Named on its own, it is an error that says what is missing.
    let named = rg(&repo, &["build", CUDA], None);
    crate::util::assert_bad_input(&named);
    assert!(named.stderr.contains("CUDA_PATH is not set"), "{named:#?}");

    // The cascade from queen-rbee leaves it alone too.
    let cascade = rg(&repo, &["ensure", "--cascade", "queen-rbee"], None);
    assert!(
        cascade.success().trim_end().ends_with("queen-rbee"),
        "{cascade:#?}"
    );
}

#[test]
fn without_the_configuration_the_variants_that_compile_are_recorded_and_the_others_reported() {
    let repo = variants(None);
    let run = rg(&repo, &["build"], None);
    assert_eq!(
        run.code,
        Some(101),
        "a failed build exits as cargo's does: {run:#?}"
    );
    let error = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: cargo build failed for"))
        .unwrap_or_else(|| panic!("one error line names what failed: {run:#?}"));
    assert!(error.contains(CUDA), "{error}");
    assert!(!error.contains(CPU), "{error}");
    assert_eq!(
        runs(&repo, CPU),
        "llm-worker-rbee-cpu backends=cpu narration=on"
    );

    let v = status(&repo, None);
    assert_eq!(entry(&v, CPU)["fresh"], true, "{v:#}");
    assert_eq!(entry(&v, "queen-rbee")["fresh"], true, "{v:#}");
    assert_eq!(entry(&v, "rbee-hive")["fresh"], true, "{v:#}");
    assert_eq!(entry(&v, CUDA)["fresh"], false, "{v:#}");
}

#[test]
fn each_variant_is_compiled_with_its_own_features_only() {
    let repo = variants(Some(REQUIRES));
    rg(&repo, &["build"], Some("/opt/cuda")).success();
    assert_eq!(
        runs(&repo, CPU),
        "llm-worker-rbee-cpu backends=cpu narration=on"
    );
    assert_eq!(
        runs(&repo, CUDA),
        "llm-worker-rbee-cuda backends=cuda narration=on",
        "the cuda variant does not get the cpu variant's features, nor the other way round"
    );
    assert_eq!(
        runs(&repo, "queen-rbee"),
        "queen-rbee backends= narration=on"
    );
    assert_eq!(
        record(&repo, "llm-worker-rbee", CUDA)["features"],
        serde_json::json!(["cuda"])
    );
    assert_eq!(
        record(&repo, "llm-worker-rbee", CUDA)["feature_request"]["features"],
        serde_json::json!(["llm-worker-rbee/cuda"])
    );
}

#[test]
fn other_features_asked_for_make_a_binary_stale() {
    let repo = variants(Some(REQUIRES));
    rg(&repo, &["build", "queen-rbee"], None).success();
    let plain = status(&repo, None);
    assert_eq!(entry(&plain, "queen-rbee")["fresh"], true, "{plain:#}");
    let asked = rg(
        &repo,
        &[
            "status",
            "--format",
            "json",
            "--features",
            "worker-core/cpu",
        ],
        None,
    )
    .json();
    let queen = entry(&asked, "queen-rbee");
    assert_eq!(queen["fresh"], false, "{asked:#}");
    assert!(
        queen["reasons"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("worker-core/cpu")),
        "the reason names the features asked for: {queen:#}"
    );
    rg(
        &repo,
        &["build", "queen-rbee", "-F", "worker-core/cpu"],
        None,
    )
    .success();
    assert_eq!(
        runs(&repo, "queen-rbee"),
        "queen-rbee backends=cpu narration=on"
    );
}

/// What a `cargo ARGS` of the user's own prints on stderr.
fn plain_cargo(repo: &Repo, args: &[&str]) -> String {
    let out = command(real_cargo(), repo)
        .args(args)
        .current_dir(repo.workspace())
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(out.status.success(), "cargo {args:?}:\n{stderr}");
    stderr
}

#[test]
fn cargo_build_after_rbee_graph_build_recompiles_nothing_and_the_other_way_round() {
    let repo = variants(Some(REQUIRES));
    rg(&repo, &["build", "queen-rbee"], None).success();
    assert_eq!(
        runs(&repo, "queen-rbee"),
        "queen-rbee backends= narration=on",
        "features resolve as for the user's `cargo build --bin queen-rbee`"
    );
    let stderr = plain_cargo(&repo, &["build", "--bin", "queen-rbee"]);
    assert!(
        !stderr.contains("Compiling"),
        "cargo build --bin queen-rbee after rbee-graph's build compiles nothing:\n{stderr}"
    );
    let again = rg(&repo, &["build", "queen-rbee"], None);
    again.success();
    assert!(
        again.stderr.contains("everything is fresh"),
        "and rbee-graph's build after cargo's builds nothing: {again:#?}"
    );
}

#[test]
fn build_and_ensure_report_json() {
    let repo = variants(Some(REQUIRES));
    let v = rg(&repo, &["build", "--message-format", "json"], None).json();
    assert_eq!(v["schema"], 1, "{v:#}");
    let built: Vec<&str> = v["built"]
        .as_array()
        .expect("built")
        .iter()
        .map(|b| b["name"].as_str().expect("name"))
        .collect();
    assert!(
        built.contains(&CPU) && built.contains(&"queen-rbee"),
        "{v:#}"
    );
    assert!(
        v["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .any(|s| s["name"] == CUDA && s["unbuildable"] == "CUDA_PATH is not set"),
        "{v:#}"
    );
    let e = rg(
        &repo,
        &["ensure", "queen-rbee", "--message-format", "json"],
        None,
    )
    .json();
    assert_eq!(e["binary"], "queen-rbee");
    assert_eq!(
        e["executable"].as_str().map(PathBuf::from),
        Some(exe(&repo, "queen-rbee"))
    );
}

#[test]
fn cargo_flags_are_accepted_and_passed_to_cargo() {
    let repo = variants(Some(REQUIRES));
    let run = rg(
        &repo,
        &[
            "build",
            "queen-rbee",
            "--locked",
            "--offline",
            "-j",
            "1",
            "-q",
            "--color",
            "never",
        ],
        None,
    );
    run.success();
    assert!(
        !run.stderr.contains("Compiling"),
        "-q reaches cargo: {run:#?}"
    );
    // `--locked` reaches cargo: a manifest change that needs a new lock entry fails.
    repo.append("bin/queen-rbee/Cargo.toml", "itoa = { version = \"1\" }\n");
    let locked = rg(
        &repo,
        &["build", "queen-rbee", "--locked", "--offline"],
        None,
    );
    assert_ne!(locked.code, Some(0), "{locked:#?}");
    assert!(!locked.stderr.contains("panicked"), "{locked:#?}");
}

#[test]
fn target_dir_flag_moves_the_binaries_and_the_records() {
    let repo = variants(Some(REQUIRES));
    let out = repo
        .root()
        .parent()
        .expect("a parent")
        .join("elsewhere-target");
    let dir = out.to_str().expect("UTF-8");
    let path = rg(&repo, &["ensure", "queen-rbee", "--target-dir", dir], None);
    assert_eq!(
        PathBuf::from(path.success().trim()),
        out.join("debug/queen-rbee")
    );
    assert!(out.join("rbee-graph/records").is_dir());
    assert!(!repo.workspace().join("target/debug/queen-rbee").exists());
}

#[test]
fn clap_suggestions_survive_on_the_one_error_line() {
    let repo = variants(None);
    let run = rg(&repo, &["build", "--relese"], None);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    assert!(
        run.stderr.contains("--release"),
        "the tip names the flag: {run:#?}"
    );
}

#[test]
fn cargo_rbee_graph_runs_rbee_graph() {
    let repo = variants(None);
    let beside = PathBuf::from(BIN).with_file_name("cargo-rbee-graph");
    assert!(
        beside.is_file(),
        "cargo-rbee-graph is built beside rbee-graph"
    );
    let dir = tempfile::tempdir().expect("a bin directory");
    // As cargo finds external subcommands: `cargo-NAME` on PATH.
    std::os::unix::fs::symlink(&beside, dir.path().join("cargo-rbee-graph")).expect("link");
    let path = std::env::join_paths(std::iter::once(dir.path().to_owned()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let out = command(real_cargo(), &repo)
        .args(["rbee-graph", "status", "--format", "json"])
        .env("PATH", path)
        .current_dir(repo.workspace())
        .output()
        .expect("run cargo rbee-graph");
    assert!(out.status.success(), "{out:#?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["schema"], 1);
}

#[test]
fn rbee_graph_build_after_cargo_build_recompiles_nothing() {
    let repo = variants(Some(REQUIRES));
    plain_cargo(&repo, &["build", "--bin", "queen-rbee"]);
    repo.append(
        "bin/queen-rbee/src/main.rs",
        "\n// edited, then built by cargo\n",
    );
    plain_cargo(&repo, &["build", "--bin", "queen-rbee"]);
    let run = rg(&repo, &["build", "queen-rbee"], None);
    run.success();
    assert!(
        !run.stderr.contains("Compiling"),
        "cargo already compiled every source as it is: nothing to recompile: {run:#?}"
    );
    assert!(run.stderr.contains("built queen-rbee"), "{run:#?}");
    let v = status(&repo, None);
    assert_eq!(entry(&v, "queen-rbee")["fresh"], true, "{v:#}");

    // A source restored with an old mtime after cargo's build is still recompiled.
    let main = repo.path("bin/queen-rbee/src/main.rs");
    let old = std::fs::metadata(&main)
        .expect("stat")
        .modified()
        .expect("mtime");
    repo.append("worker-core/src/lib.rs", "\n// cargo builds this\n");
    plain_cargo(&repo, &["build", "--bin", "queen-rbee"]);
    std::fs::write(
        repo.path("worker-core/src/lib.rs"),
        std::fs::read_to_string(repo.path("worker-core/src/lib.rs"))
            .expect("read")
            .replace(
                "fn describe() -> String {",
                "fn describe() -> String {\n    let _restored = 1;",
            ),
    )
    .expect("write");
    std::fs::File::options()
        .write(true)
        .open(repo.path("worker-core/src/lib.rs"))
        .and_then(|f| f.set_modified(old))
        .expect("an old mtime, as cp -p gives");
    let run = rg(&repo, &["build", "queen-rbee"], None);
    run.success();
    assert!(
        run.stderr.contains("Compiling worker-core"),
        "a content change cargo cannot see by mtime is recompiled: {run:#?}"
    );
}

// =============================================================================================
// Lock precision: an optional dependency only the cuda backend turns on.

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// Adds crates.io's `cfg-if` 1.0.5 to the fixture's lock file (the dependents' lists are the
/// caller's to edit).
fn lock_cfg_if(repo: &Repo) {
    repo.replace(
        "Cargo.lock",
        "[[package]]\nname = \"llm-worker-rbee\"",
        &format!(
            "[[package]]\nname = \"cfg-if\"\nversion = \"1.0.5\"\nsource = \"{CRATES_IO}\"\nchecksum = \"4e7648175b45a9a48536d676f68d918270699102aa8dab5496df06904c914600\"\n\n[[package]]\nname = \"llm-worker-rbee\""
        ),
    );
}

/// Moves the locked `cfg-if` from 1.0.5 to 1.0.4, as `cargo update -p cfg-if --precise 1.0.4`
/// writes it (a real version: cargo checks the lock file against the index even for crates it
/// does not build).
fn bump_cfg_if(repo: &Repo) {
    repo.replace(
        "Cargo.lock",
        &format!("version = \"1.0.5\"\nsource = \"{CRATES_IO}\"\nchecksum = \"4e7648175b45a9a48536d676f68d918270699102aa8dab5496df06904c914600\""),
        &format!("version = \"1.0.4\"\nsource = \"{CRATES_IO}\"\nchecksum = \"9330f8b2ff13f34540b44e946ef35111825727b38d33286ef986142615121801\""),
    );
}

/// The fixture, with `worker-core`'s `cuda` feature turning on an optional `cfg-if` (locked,
/// as cargo locks optional dependencies whether or not a feature enables them), committed.
fn variants_with_an_optional_dependency() -> Repo {
    let repo = variants(Some(REQUIRES));
    repo.replace(
        "worker-core/Cargo.toml",
        "cuda = []",
        "cuda = [\"dep:cfg-if\"]",
    );
    repo.append(
        "worker-core/Cargo.toml",
        "\n[dependencies]\ncfg-if = { version = \"1\", optional = true }\n",
    );
    lock_cfg_if(&repo);
    repo.replace(
        "Cargo.lock",
        "name = \"worker-core\"\nversion = \"0.1.0\"\n",
        "name = \"worker-core\"\nversion = \"0.1.0\"\ndependencies = [\n \"cfg-if\",\n]\n",
    );
    repo.commit("cuda turns on cfg-if");
    repo
}

#[test]
fn a_lock_entry_no_enabled_feature_turns_on_counts_only_where_it_is_compiled() {
    let repo = variants_with_an_optional_dependency();
    rg(&repo, &["build"], Some("/opt/cuda")).success();
    let externals = |name: &str| record(&repo, "llm-worker-rbee", name)["externals"].clone();
    assert_eq!(externals(CUDA), serde_json::json!(["cfg-if 1.0.5"]));
    assert_eq!(externals(CPU), serde_json::json!([]));
    assert_eq!(
        record(&repo, "queen-rbee", "queen-rbee")["externals"],
        serde_json::json!([])
    );

    bump_cfg_if(&repo);
    repo.commit("cfg-if 1.0.4");

    // CI mode, with the records as read maps: the cuda variant compiled cfg-if; the metal
    // variant was never built here, so nothing says what it compiles (the rule stays
    // conservative); the others compiled no external crate.
    let (affected, v) = affected_names(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(affected, [CUDA, METAL], "{v:#}");

    // Local mode agrees, and so does cargo: the cpu variant is fresh, the cuda one is not.
    let now = status(&repo, Some("/opt/cuda"));
    assert_eq!(entry(&now, CPU)["fresh"], true, "{now:#}");
    assert_eq!(entry(&now, "queen-rbee")["fresh"], true, "{now:#}");
    assert_eq!(entry(&now, CUDA)["fresh"], false, "{now:#}");
    // The worker's build script reruns when `CUDA_PATH` changes: the same value as the build.
    let out = command(real_cargo(), &repo)
        .args([
            "build",
            "--offline",
            "--bin",
            CPU,
            "--features",
            "llm-worker-rbee/cpu",
        ])
        .env("CUDA_PATH", "/opt/cuda")
        .current_dir(repo.workspace())
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("Compiling"),
        "cargo rebuilds nothing for the cpu variant either:\n{stderr}"
    );
}

// =============================================================================================
// Feature unification: a lock entry only another member reaches.

/// Makes a git repository of one crate in `dir` with `manifest` (after `[package]`) and an
/// empty library, commits it, and returns the commit.
fn git_crate(dir: &std::path::Path, name: &str, manifest: &str) -> String {
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{manifest}"
        ),
    )
    .expect("write");
    std::fs::write(dir.join("src/lib.rs"), "pub fn f() {}\n").expect("write");
    let git = |args: &[&str]| {
        let out = rbee_graph_testdata::configure_git_env(&mut std::process::Command::new("git"))
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .trim()
            .to_owned()
    };
    if !dir.join(".git").exists() {
        git(&["init", "-q", "-b", "main"]);
    }
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", name]);
    git(&["rev-parse", "HEAD"])
}

#[test]
fn a_lock_entry_only_another_member_reaches_can_rebuild_a_binary_through_its_features() {
    // queen-rbee uses `shared`; rbee-hive uses `dep2`, which uses `shared` too. A plain
    // `cargo build --bin queen-rbee` resolves features over every member: when the locked
    // `dep2` starts asking `shared` for its `extra` feature, `shared` and queen-rbee are
    // compiled again, though queen-rbee never reaches `dep2`.
    let repo = variants(None);
    let deps = rbee_graph_testdata::tempfile::tempdir().expect("tempdir");
    let shared = deps.path().join("shared");
    let dep2 = deps.path().join("dep2");
    git_crate(&shared, "shared", "\n[features]\nextra = []\n");
    let url = |dir: &std::path::Path| format!("file://{}", dir.display());
    let plain = git_crate(
        &dep2,
        "dep2",
        &format!(
            "\n[dependencies]\nshared = {{ git = \"{}\" }}\n",
            url(&shared)
        ),
    );
    let asking = git_crate(
        &dep2,
        "dep2",
        &format!(
            "\n[dependencies]\nshared = {{ git = \"{}\", features = [\"extra\"] }}\n",
            url(&shared)
        ),
    );
    repo.append(
        "bin/queen-rbee/Cargo.toml",
        &format!("shared = {{ git = \"{}\" }}\n", url(&shared)),
    );
    repo.append(
        "bin/rbee-hive/Cargo.toml",
        &format!("dep2 = {{ git = \"{}\", branch = \"main\" }}\n", url(&dep2)),
    );
    let cargo = |args: &[&str]| {
        let out = command(real_cargo(), &repo)
            .args(args)
            .current_dir(repo.workspace())
            .output()
            .expect("run cargo");
        let stderr = String::from_utf8(out.stderr).expect("UTF-8");
        assert!(out.status.success(), "cargo {args:?}: {stderr}");
        stderr
    };
    cargo(&["generate-lockfile"]);
    cargo(&["update", "-p", "dep2", "--precise", &plain]);
    repo.commit("queen-rbee uses shared, rbee-hive dep2");
    rg(&repo, &["build", "queen-rbee", "rbee-hive"], None).success();
    assert_eq!(entry(&status(&repo, None), "queen-rbee")["fresh"], true);

    cargo(&["update", "-p", "dep2", "--precise", &asking]);
    repo.commit("dep2 asks shared for extra");
    let now = status(&repo, None);
    assert_eq!(entry(&now, "queen-rbee")["fresh"], false, "{now:#}");
    let (affected, v) = affected_names(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert!(affected.contains(&"queen-rbee".to_owned()), "{v:#}");
    let v = affected_json(
        &repo,
        &["--base", "HEAD~1", "--head", "HEAD", "--no-read-maps"],
    );
    let affected: Vec<String> = bins(&v).into_iter().map(|(name, _)| name).collect();
    assert!(
        affected.contains(&"queen-rbee".to_owned()),
        "without read maps too: {v:#}"
    );
    // And cargo agrees that queen-rbee's build changed.
    let stderr = cargo(&["build", "--bin", "queen-rbee"]);
    assert!(stderr.contains("Compiling shared"), "{stderr}");
}

#[test]
fn a_record_built_with_other_features_is_no_read_map() {
    // queen-rbee's default feature turns on `cfg-if`; a build without default features does
    // not compile it. `affected` answers for a plain build, which does: that record says
    // nothing about it, and the lock rule decides.
    let repo = variants(None);
    repo.append(
        "bin/queen-rbee/Cargo.toml",
        "cfg-if = { version = \"1\", optional = true }\n\n[features]\ndefault = [\"cf\"]\ncf = [\"dep:cfg-if\"]\n",
    );
    lock_cfg_if(&repo);
    repo.replace(
        "Cargo.lock",
        "name = \"queen-rbee\"\nversion = \"0.1.0\"\ndependencies = [\n",
        "name = \"queen-rbee\"\nversion = \"0.1.0\"\ndependencies = [\n \"cfg-if\",\n",
    );
    repo.commit("queen-rbee's default feature turns on cfg-if");
    rg(
        &repo,
        &["build", "queen-rbee", "--no-default-features"],
        None,
    )
    .success();
    assert_eq!(
        record(&repo, "queen-rbee", "queen-rbee")["externals"],
        serde_json::json!([])
    );
    bump_cfg_if(&repo);
    repo.commit("cfg-if 1.0.4");
    let (affected, v) = affected_names(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(affected, ["queen-rbee"], "{v:#}");
    assert!(v.get("read_maps").is_none(), "no map was used: {v:#}");
}

#[test]
fn another_members_feature_request_affects_the_binaries_that_share_the_crate() {
    // rbee-hive asks worker-core for `narration`; when it also asks for `cpu`, a plain `cargo
    // build --bin queen-rbee` (features resolved over every member) compiles worker-core, and
    // queen-rbee, again. A comment in the same manifest changes nothing of the kind.
    let repo = variants(None);
    rg(&repo, &["build", "queen-rbee"], None).success();
    repo.append("bin/rbee-hive/Cargo.toml", "# a comment\n");
    repo.commit("a comment");
    let (affected, v) = affected_names(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(affected, ["rbee-hive"], "{v:#}");

    repo.replace(
        "bin/rbee-hive/Cargo.toml",
        "features = [\"narration\"]",
        "features = [\"narration\", \"cpu\"]",
    );
    repo.commit("rbee-hive asks for cpu too");
    let (affected, v) = affected_names(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert!(affected.contains(&"queen-rbee".to_owned()), "{v:#}");
    let reason = &crate::util::reasons(&v, "queen-rbee", "queen-rbee")[0];
    assert_eq!(reason.kind, "dependency", "{v:#}");
    assert_eq!(
        reason.chain,
        ["rbee-hive", "worker-core", "queen-rbee"],
        "{v:#}"
    );
    // Cargo agrees.
    let stderr = plain_cargo(&repo, &["build", "--bin", "queen-rbee"]);
    assert!(stderr.contains("Compiling worker-core"), "{stderr}");
}

/// The names of the binaries `affected ARGS` lists, with its whole answer (for messages).
fn affected_names(repo: &Repo, args: &[&str]) -> (Vec<String>, Value) {
    let v = affected_json(repo, args);
    let names = bins(&v).into_iter().map(|(name, _)| name).collect();
    (names, v)
}

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> String {
    let out = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("a host line")
}

#[test]
fn a_build_for_the_host_with_and_without_target_are_two_builds() {
    // `--target <host>` writes to target/<host>/debug, no `--target` to target/debug: one
    // triple, two binaries. A record of one is not the other's.
    let repo = variants(None);
    let host = host_triple();
    rg(&repo, &["build", "queen-rbee"], None).success();
    let with_target = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--target", host.as_str()]);
        rg(&repo, &all, None)
    };
    let v = with_target(&["status", "--format", "json"]).json();
    assert_eq!(entry(&v, "queen-rbee")["fresh"], false, "{v:#}");
    with_target(&["build", "queen-rbee"]).success();
    let built = repo
        .workspace()
        .join("target")
        .join(&host)
        .join("debug/queen-rbee");
    assert!(built.is_file(), "{} was built", built.display());
    let v = with_target(&["status", "--format", "json"]).json();
    assert_eq!(entry(&v, "queen-rbee")["fresh"], true, "{v:#}");
    let plain = status(&repo, None);
    assert_eq!(entry(&plain, "queen-rbee")["fresh"], false, "{plain:#}");
}
