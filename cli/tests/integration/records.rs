//! Local mode: build records, freshness, the rebuild plan and the pre-spawn hook (`status`,
//! `build`, `ensure`, `affected` without `--base`), on real builds of the `rbee` fixture.
//!
//! Every test builds its own copy of the fixture. Cargo is reached through a shim (`$CARGO`)
//! that logs its arguments before running the real cargo, so the tests can count `cargo build`
//! invocations and check that the fresh path runs no cargo at all.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use rbee_graph_testdata::Repo;
use serde_json::Value;

use crate::util::{
    BIN, BinPair, CargoShim, RBEE_EDGES, Run, all_but_xtask, all_rbee_bins, apply_env_policy,
    assert_bad_input, bins, command, pairs, run_in,
};

const NARRATION: &str = "libs/narration-core/src/lib.rs";
const MARK_V1: &str = "pub const MARK: &str = \"v1\";";
const MARK_V2: &str = "pub const MARK: &str = \"v2\";";

// ---------------------------------------------------------------------------------------------
// A fixture repository with a logging cargo shim.

/// A copy of a fixture, and a cargo shim ([`CargoShim`]) that logs each invocation's
/// arguments. Every run of the binary goes through the shim.
struct Fx {
    repo: Repo,
    shim: CargoShim,
}

impl Fx {
    fn new(fixture: &str) -> Fx {
        Fx::with_repo(Repo::from_fixture(fixture))
    }

    fn with_repo(repo: Repo) -> Fx {
        Fx {
            repo,
            shim: CargoShim::new(),
        }
    }

    fn env<'a>(&self, extra: &[(&'a str, &str)]) -> Vec<(&'a str, OsString)> {
        let mut env = vec![("CARGO", self.shim.path().as_os_str().to_owned())];
        env.extend(extra.iter().map(|(k, v)| (*k, OsString::from(v))));
        env
    }

    /// Runs `rbee-graph ARGS` in the workspace, through the shim.
    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs `rbee-graph ARGS` in the workspace with extra environment variables.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        run_in(&self.repo, &self.repo.workspace(), args, &self.env(env))
    }

    /// A command like [`Fx::run`] would run, to spawn several at once.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command(BIN, &self.repo);
        cmd.env("CARGO", self.shim.path())
            .args(args)
            .current_dir(self.repo.workspace());
        cmd
    }

    /// The cargo invocations logged so far, one line of arguments each.
    fn log(&self) -> Vec<String> {
        self.shim.calls()
    }

    /// Empties the cargo log.
    fn clear_log(&self) {
        self.shim.clear();
    }

    /// The `cargo build` invocations logged so far.
    fn builds(&self) -> Vec<String> {
        self.shim.builds()
    }

    /// `rbee-graph build ARGS`, which must succeed.
    fn build(&self, args: &[&str]) {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        self.run(&all).success();
    }

    /// `rbee-graph status --format json`, checked for shape.
    fn status(&self) -> Value {
        self.status_env(&[])
    }

    fn status_env(&self, env: &[(&str, &str)]) -> Value {
        let v = self.run_env(&["status", "--format", "json"], env).json();
        check_status(&v);
        v
    }

    /// `rbee-graph ensure ARGS`: the path printed, which must be absolute and exist.
    fn ensure(&self, args: &[&str]) -> PathBuf {
        self.ensure_env(args, &[])
    }

    fn ensure_env(&self, args: &[&str], env: &[(&str, &str)]) -> PathBuf {
        let mut all = vec!["ensure"];
        all.extend_from_slice(args);
        let run = self.run_env(&all, env);
        ensured_path(&run)
    }

    /// The built executable of `bin` (dev profile).
    fn exe(&self, bin: &str) -> PathBuf {
        self.repo.path(&format!("target/debug/{bin}"))
    }

    /// The record file of `bin` of `package` (dev profile, the only target triple).
    fn record(&self, package: &str, bin: &str) -> PathBuf {
        let records = self.repo.path("target/rbee-graph/records");
        let triples: Vec<PathBuf> = fs::read_dir(&records)
            .unwrap_or_else(|e| panic!("read {}: {e}", records.display()))
            .map(|e| e.expect("a records entry").path())
            .collect();
        assert_eq!(triples.len(), 1, "one target triple: {triples:?}");
        triples[0].join(format!("dev/{package}/{bin}.json"))
    }
}

/// Checks the answer of `ensure`: exit 0, stdout is one absolute path to an existing file.
fn ensured_path(run: &Run) -> PathBuf {
    let out = run.success();
    assert!(out.ends_with('\n'), "ensure prints one line: {run:#?}");
    let line = out.trim_end_matches('\n');
    assert!(
        !line.is_empty() && !line.contains('\n'),
        "ensure must print only the path on stdout: {run:#?}"
    );
    let path = PathBuf::from(line);
    assert!(path.is_absolute(), "not an absolute path: {run:#?}");
    assert!(
        path.is_file(),
        "{} does not exist: {run:#?}",
        path.display()
    );
    path
}

/// Runs a built daemon without `RBEE_GRAPH`, so it spawns nothing; returns its stdout.
fn run_daemon(exe: &Path) -> String {
    let mut cmd = Command::new(exe);
    let out = apply_env_policy(&mut cmd, None)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", exe.display()));
    assert!(out.status.success(), "{} failed: {out:?}", exe.display());
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn read_bytes(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Sets the modification time of `path` to 2020-01-01, as `cp -p` of an old file would.
fn set_old_mtime(path: &Path) {
    let file = fs::File::options()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_836_800);
    file.set_modified(when)
        .unwrap_or_else(|e| panic!("set mtime of {}: {e}", path.display()));
}

/// Reads a record file: it must be JSON with schema 3 (every input, and the features).
fn parse_record(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("record {} is not JSON ({e}):\n{text}", path.display()));
    assert_eq!(v["schema"], 3, "{}: {v:#}", path.display());
    v
}

// ---------------------------------------------------------------------------------------------
// `status --format json`.

/// Checks the shape of a status answer: schema 1, every binary once, well-formed entries.
fn check_status(v: &Value) {
    assert_eq!(v["schema"], 1, "{v:#}");
    let list = binaries(v);
    let mut seen = BTreeSet::new();
    for b in list {
        let name = b["name"].as_str().unwrap_or_else(|| panic!("name: {b:#}"));
        let package = b["package"]
            .as_str()
            .unwrap_or_else(|| panic!("package: {b:#}"));
        assert!(
            seen.insert((name.to_owned(), package.to_owned())),
            "{name} ({package}) is listed twice: {v:#}"
        );
        assert!(b["profile"].is_string(), "profile: {b:#}");
        let fresh = b["fresh"]
            .as_bool()
            .unwrap_or_else(|| panic!("fresh: {b:#}"));
        let reasons = b["reasons"]
            .as_array()
            .unwrap_or_else(|| panic!("reasons: {b:#}"));
        assert_eq!(
            fresh,
            reasons.is_empty(),
            "a binary is stale exactly when it has reasons: {b:#}"
        );
        for r in reasons {
            assert!(r["kind"].is_string(), "reason kind: {r:#}");
            assert!(r["chain"].is_array(), "reason chain: {r:#}");
        }
        assert!(
            b["recorded_commit"].is_null() || b["recorded_commit"].is_string(),
            "recorded_commit: {b:#}"
        );
    }
}

fn binaries(v: &Value) -> &Vec<Value> {
    v["binaries"]
        .as_array()
        .unwrap_or_else(|| panic!("`binaries` is not an array: {v:#}"))
}

fn status_pairs(v: &Value, fresh: bool) -> BTreeSet<BinPair> {
    binaries(v)
        .iter()
        .filter(|b| b["fresh"] == fresh)
        .map(|b| {
            (
                b["name"].as_str().expect("name").to_owned(),
                b["package"].as_str().expect("package").to_owned(),
            )
        })
        .collect()
}

/// The stale binaries of a status answer.
fn stale(v: &Value) -> BTreeSet<BinPair> {
    status_pairs(v, false)
}

/// Asserts that every binary of the rbee fixture is listed and exactly `expected` are stale.
fn assert_stale(v: &Value, expected: &BTreeSet<BinPair>) {
    let all: BTreeSet<BinPair> = &status_pairs(v, true) | &status_pairs(v, false);
    assert_eq!(all, all_rbee_bins(), "status lists every binary: {v:#}");
    assert_eq!(&stale(v), expected, "stale binaries: {v:#}");
}

fn entry<'v>(v: &'v Value, bin: &str, package: &str) -> &'v Value {
    binaries(v)
        .iter()
        .find(|b| b["name"] == bin && b["package"] == package)
        .unwrap_or_else(|| panic!("{bin} ({package}) is not listed: {v:#}"))
}

fn reasons_of<'v>(v: &'v Value, bin: &str, package: &str) -> &'v Vec<Value> {
    entry(v, bin, package)["reasons"]
        .as_array()
        .expect("reasons")
}

fn chain(r: &Value) -> Vec<String> {
    r["chain"]
        .as_array()
        .unwrap_or_else(|| panic!("chain: {r:#}"))
        .iter()
        .map(|s| s.as_str().expect("chain of names").to_owned())
        .collect()
}

/// Asserts `bin` of `package` has a `record` reason whose detail mentions one of `words`
/// (case-insensitively); returns the detail.
fn assert_record_reason(v: &Value, (bin, package): (&str, &str), words: &[&str]) -> String {
    let reasons = reasons_of(v, bin, package);
    let details: Vec<String> = reasons
        .iter()
        .filter(|r| r["kind"] == "record")
        .map(|r| {
            r["detail"]
                .as_str()
                .unwrap_or_else(|| panic!("a record reason without detail: {r:#}"))
                .to_owned()
        })
        .collect();
    details
        .iter()
        .find(|d| {
            let d = d.to_lowercase();
            words.iter().any(|w| d.contains(&w.to_lowercase()))
        })
        .cloned()
        .unwrap_or_else(|| {
            panic!("{bin} ({package}) has no record reason mentioning one of {words:?}: {v:#}")
        })
}

/// Asserts every step of `chain` is a dependency edge of the fixture.
fn assert_chain_follows_edges(chain: &[String]) {
    for step in chain.windows(2) {
        assert!(
            RBEE_EDGES.contains(&(step[0].as_str(), step[1].as_str())),
            "{} -> {} is not a dependency edge: {chain:?}",
            step[0],
            step[1]
        );
    }
}

/// A built rbee fixture: `build` (everything) ran once, and the cargo log is empty again.
fn built_rbee() -> Fx {
    let fx = Fx::new("rbee");
    fx.build(&[]);
    assert_eq!(fx.builds().len(), 1, "one cargo build: {:?}", fx.log());
    fx.clear_log();
    fx
}

// ---------------------------------------------------------------------------------------------
// 1. Fresh after a build.

#[test]
fn after_a_build_everything_is_fresh_and_nothing_is_affected() {
    let fx = built_rbee();
    let head = fx.repo.head();
    let v = fx.status();
    assert_stale(&v, &BTreeSet::new());
    for b in binaries(&v) {
        assert_eq!(b["recorded_commit"], head.as_str(), "{b:#}");
        assert_eq!(b["profile"], "dev", "{b:#}");
        let exe = fx.exe(b["name"].as_str().expect("name"));
        assert!(exe.is_file(), "{} was not built", exe.display());
    }

    let a = fx.run(&["affected", "--format", "json"]).json();
    assert_eq!(a["schema"], 1, "{a:#}");
    assert_eq!(a["base"], Value::Null, "{a:#}");
    assert_eq!(a["head"], "worktree", "{a:#}");
    assert_eq!(a["changed_paths"], serde_json::json!([]), "{a:#}");
    assert_eq!(a["affected_packages"], serde_json::json!([]), "{a:#}");
    assert_eq!(a["affected_binaries"], serde_json::json!([]), "{a:#}");
    assert!(fx.builds().is_empty(), "status and affected build nothing");
}

// ---------------------------------------------------------------------------------------------
// 2. An edit makes exactly the dependents stale; reverting it makes them fresh again.

#[test]
fn edit_makes_dependents_stale_and_revert_makes_them_fresh_without_a_build() {
    let fx = built_rbee();
    let original = fx.repo.read(NARRATION);
    fx.repo.replace(NARRATION, MARK_V1, MARK_V2);

    let v = fx.status();
    assert_stale(&v, &all_but_xtask());
    for (bin, package) in all_but_xtask() {
        let reasons = reasons_of(&v, &bin, &package);
        let r = reasons
            .iter()
            .find(|r| r["kind"] == "dependency")
            .unwrap_or_else(|| panic!("{bin} has no dependency reason: {v:#}"));
        assert_eq!(r["path"], NARRATION, "{r:#}");
        assert_eq!(r["package"], "narration-core", "{r:#}");
        let chain = chain(r);
        assert_eq!(chain.first().map(String::as_str), Some("narration-core"));
        assert_eq!(chain.last(), Some(&package), "{r:#}");
        assert_chain_follows_edges(&chain);
    }

    // Local `affected` agrees.
    let a = fx.run(&["affected", "--format", "json"]).json();
    assert_eq!(a["base"], Value::Null, "{a:#}");
    assert_eq!(a["head"], "worktree", "{a:#}");
    assert_eq!(a["changed_paths"], serde_json::json!([NARRATION]), "{a:#}");
    assert_eq!(bins(&a), all_but_xtask(), "{a:#}");

    // A binary's own package: a `path` reason with the chain [package].
    let queen_main = "bin/queen-rbee/src/main.rs";
    let queen_original = fx.repo.read(queen_main);
    fx.repo.append(queen_main, "// edited\n");
    let v = fx.status();
    assert_stale(&v, &all_but_xtask());
    let reasons = reasons_of(&v, "queen-rbee", "queen-rbee");
    let r = reasons
        .iter()
        .find(|r| r["kind"] == "path")
        .unwrap_or_else(|| panic!("queen-rbee has no path reason: {v:#}"));
    assert_eq!(r["path"], queen_main, "{r:#}");
    assert_eq!(chain(r), ["queen-rbee"], "{r:#}");
    assert!(
        reasons.iter().any(|r| r["kind"] == "dependency"),
        "queen-rbee keeps its dependency reason: {v:#}"
    );

    // Revert both edits: fresh again, and nothing to build.
    fx.repo.write(NARRATION, &original);
    fx.repo.write(queen_main, &queen_original);
    let v = fx.status();
    assert_stale(&v, &BTreeSet::new());
    fx.build(&[]);
    assert!(
        fx.builds().is_empty(),
        "a reverted edit needs no build: {:?}",
        fx.log()
    );
    assert_stale(&fx.status(), &BTreeSet::new());
}

// ---------------------------------------------------------------------------------------------
// 3. Old content restored with an old mtime.

#[test]
fn restored_content_with_an_old_mtime_is_rebuilt_for_real() {
    let fx = Fx::new("rbee");
    let original = fx.repo.read(NARRATION);
    fx.repo.replace(NARRATION, MARK_V1, MARK_V2);
    fx.build(&[]);
    let worker = fx.exe("llm-worker-rbee");
    assert!(
        run_daemon(&worker).contains("mark=v2"),
        "the worker was built with v2"
    );
    assert_stale(&fx.status(), &BTreeSet::new());

    // `cp -p` of the old file: old content, old mtime (older than cargo's fingerprints).
    fx.repo.write(NARRATION, &original);
    set_old_mtime(&fx.repo.path(NARRATION));
    let v = fx.status();
    assert_stale(&v, &all_but_xtask());

    fx.clear_log();
    let path = fx.ensure(&["llm-worker-rbee"]);
    assert_eq!(path, worker);
    assert_eq!(fx.builds().len(), 1, "one build: {:?}", fx.log());
    let out = run_daemon(&path);
    assert!(
        out.contains("mark=v1"),
        "the rebuilt worker must contain the restored content (mark=v1):\n{out}"
    );
    let v = fx.status();
    assert_eq!(
        entry(&v, "llm-worker-rbee", "llm-worker-rbee")["fresh"],
        true
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Files outside every package: dep-info says who read them.

#[test]
fn unowned_file_makes_stale_only_the_binaries_that_read_it() {
    let fx = built_rbee();
    let prompts = "shared/prompts.txt";
    let original = fx.repo.read(prompts);
    fx.repo
        .write(prompts, "You are a terse assistant.\nSecond line.\n");
    let v = fx.status();
    assert_stale(&v, &pairs(&[("llm-worker-rbee", "llm-worker-rbee")]));
    let reasons = reasons_of(&v, "llm-worker-rbee", "llm-worker-rbee");
    assert!(
        reasons.iter().any(|r| r["path"] == prompts),
        "the reason names {prompts}: {v:#}"
    );

    // The rebuilt worker holds the new prompt.
    let path = fx.ensure(&["llm-worker-rbee"]);
    let out = run_daemon(&path);
    assert!(
        out.contains("prompt=\"You are a terse assistant.\""),
        "the worker must print the new prompt:\n{out}"
    );
    assert_stale(&fx.status(), &BTreeSet::new());

    // Back to the committed content: stale again, and fresh once rebuilt.
    fx.repo.write(prompts, &original);
    assert_stale(
        &fx.status(),
        &pairs(&[("llm-worker-rbee", "llm-worker-rbee")]),
    );
    fx.build(&[]);
    assert_stale(&fx.status(), &BTreeSet::new());
}

#[test]
fn new_unowned_file_nobody_reads_makes_nobody_stale() {
    let fx = built_rbee();
    fx.repo.write("shared/other.txt", "not read by anything\n");
    assert!(
        fx.repo
            .git(&["status", "--porcelain"])
            .contains("?? shared/other.txt"),
        "the new file is untracked"
    );
    assert_stale(&fx.status(), &BTreeSet::new());
    let a = fx.run(&["affected", "--format", "json"]).json();
    assert_eq!(a["affected_binaries"], serde_json::json!([]), "{a:#}");
}

// ---------------------------------------------------------------------------------------------
// 5. Faults in the records and binaries: stale with a record reason, repaired by `build`.

/// Builds the fixture, applies `fault` to queen-rbee, checks that status calls queen-rbee (and
/// only it) stale with a record reason mentioning one of `words`, then that `build` repairs it.
fn fault_is_repaired(fault: impl FnOnce(&Fx), words: &[&str]) {
    let fx = built_rbee();
    fault(&fx);
    let v = fx.status();
    assert_stale(&v, &pairs(&[("queen-rbee", "queen-rbee")]));
    assert_record_reason(&v, ("queen-rbee", "queen-rbee"), words);

    fx.build(&[]);
    assert_eq!(fx.builds().len(), 1, "one build: {:?}", fx.log());
    assert_stale(&fx.status(), &BTreeSet::new());
    let record = parse_record(&fx.record("queen-rbee", "queen-rbee"));
    assert_eq!(record["commit"], fx.repo.head().as_str(), "{record:#}");
    let out = run_daemon(&fx.exe("queen-rbee"));
    assert!(
        out.contains("[queen-rbee] started pid=") && out.contains("mark=v1"),
        "queen-rbee is a working binary again:\n{out}"
    );
}

#[test]
fn fault_truncated_record() {
    fault_is_repaired(
        |fx| {
            let path = fx.record("queen-rbee", "queen-rbee");
            let text = read_bytes(&path);
            fs::write(&path, &text[..text.len() / 2]).expect("truncate the record");
        },
        &["corrupt", "unreadable", "invalid", "parse"],
    );
}

#[test]
fn fault_garbage_record() {
    fault_is_repaired(
        |fx| {
            let path = fx.record("queen-rbee", "queen-rbee");
            fs::write(&path, "\u{1}garbage, not JSON at all\n").expect("write garbage");
        },
        &["corrupt", "unreadable", "invalid", "parse"],
    );
}

#[test]
fn fault_future_schema() {
    fault_is_repaired(
        |fx| {
            let path = fx.record("queen-rbee", "queen-rbee");
            let mut v = parse_record(&path);
            v["schema"] = Value::from(99);
            fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");
        },
        &["99"],
    );
}

#[test]
fn fault_binary_deleted() {
    fault_is_repaired(
        |fx| fs::remove_file(fx.exe("queen-rbee")).expect("delete queen-rbee"),
        &["missing", "deleted", "not found", "does not exist"],
    );
}

#[test]
fn fault_binary_replaced() {
    fault_is_repaired(
        |fx| {
            fs::write(fx.exe("queen-rbee"), "#!/bin/sh\necho impostor\n")
                .expect("replace queen-rbee");
        },
        &["replaced", "changed", "differs", "modified"],
    );
}

#[test]
fn fault_recorded_commit_missing() {
    let fake = "0123456789abcdef0123456789abcdef01234567";
    fault_is_repaired(
        |fx| {
            let path = fx.record("queen-rbee", "queen-rbee");
            let mut v = parse_record(&path);
            assert!(v["commit"].is_string(), "the record has a commit: {v:#}");
            v["commit"] = Value::from(fake);
            fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");
        },
        &[&fake[..10]],
    );
}

// ---------------------------------------------------------------------------------------------
// 6. A failed build records nothing and keeps the old binary.

#[test]
fn failed_build_keeps_the_old_binary_and_record() {
    let fx = built_rbee();
    let exe = fx.exe("queen-rbee");
    let record = fx.record("queen-rbee", "queen-rbee");
    let (exe_before, record_before) = (read_bytes(&exe), read_bytes(&record));

    fx.repo
        .append("bin/queen-rbee/src/lib.rs", "pub fn broken() { let = ; }\n");
    let run = fx.run(&["build", "queen-rbee"]);
    assert_eq!(
        run.code,
        Some(101),
        "a build failure exits 101, as cargo: {run:#?}"
    );
    assert!(
        run.stderr.contains("queen-rbee"),
        "stderr names queen-rbee: {run:#?}"
    );
    assert!(
        run.stderr.contains("expected pattern") && run.stderr.contains("src/lib.rs"),
        "cargo's diagnostics reach stderr: {run:#?}"
    );
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    assert_eq!(fx.builds().len(), 1, "one build: {:?}", fx.log());

    assert!(
        read_bytes(&exe) == exe_before,
        "the old binary is untouched"
    );
    assert!(
        read_bytes(&record) == record_before,
        "the record is untouched"
    );
    let v = fx.status();
    assert_eq!(
        entry(&v, "queen-rbee", "queen-rbee")["fresh"],
        false,
        "{v:#}"
    );
    assert!(
        reasons_of(&v, "queen-rbee", "queen-rbee")
            .iter()
            .any(|r| r["kind"] == "path" && r["path"] == "bin/queen-rbee/src/lib.rs"),
        "{v:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Bad input.

#[test]
fn unknown_binary_suggests_the_closest() {
    let fx = Fx::new("rbee");
    let run = fx.run(&["ensure", "queen-rbe"]);
    assert_bad_input(&run);
    assert!(
        run.stderr.contains("queen-rbee"),
        "suggests queen-rbee: {run:#?}"
    );
    assert!(run.stdout.is_empty(), "{run:#?}");
    assert!(fx.builds().is_empty(), "{:?}", fx.log());
}

#[test]
fn ambiguous_binary_asks_for_the_package() {
    let fx = Fx::new("same-names");
    let run = fx.run(&["ensure", "server"]);
    assert_bad_input(&run);
    assert!(run.stderr.contains("-p"), "mentions -p: {run:#?}");
    assert!(run.stdout.is_empty(), "{run:#?}");
    assert!(fx.builds().is_empty(), "{:?}", fx.log());

    let path = fx.ensure(&["-p", "api", "server"]);
    assert!(path.ends_with("server"), "{}", path.display());
    assert!(
        path.to_str().expect("UTF-8").ends_with("/server"),
        "{}",
        path.display()
    );
    assert_eq!(fx.builds().len(), 1, "{:?}", fx.log());
}

#[test]
fn invalid_configuration_key_is_named() {
    let fx = Fx::new("rbee");
    assert!(
        fx.repo
            .read("Cargo.toml")
            .trim_end()
            .ends_with("\"rbee-hive\" = [\"llm-worker-rbee\"] }"),
        "the metadata table ends the manifest"
    );
    fx.repo.append("Cargo.toml", "bogus = 1\n");
    for args in [
        &["status"][..],
        &["ensure", "queen-rbee"][..],
        &["build"][..],
    ] {
        let run = fx.run(args);
        assert_bad_input(&run);
        assert!(run.stderr.contains("bogus"), "names the key: {run:#?}");
    }
    assert!(fx.builds().is_empty(), "{:?}", fx.log());
}

// ---------------------------------------------------------------------------------------------
// 8. auto-build off.

/// `ensure queen-rbee` in a repository where nothing was built and auto-build is off for it:
/// a one-line error saying it is not built, and no build.
fn assert_not_built_error(fx: &Fx, env: &[(&str, &str)]) {
    let run = fx.run_env(&["ensure", "queen-rbee"], env);
    assert!(
        run.stderr.contains("not built") || run.stderr.contains("never built"),
        "says it is not built: {run:#?}"
    );
    assert!(fx.builds().is_empty(), "{:?}", fx.log());
    assert!(!fx.exe("queen-rbee").exists());
    assert_bad_input(&run);
}

#[test]
fn auto_build_off_by_environment() {
    let off = [("RBEE_GRAPH_AUTO_BUILD", "0")];

    // Built, then stale: the existing path, no build.
    let fx = built_rbee();
    let exe = fx.exe("queen-rbee");
    let before = read_bytes(&exe);
    fx.repo.replace(NARRATION, MARK_V1, MARK_V2);
    let path = fx.ensure_env(&["queen-rbee"], &off);
    assert_eq!(path, exe);
    assert!(fx.builds().is_empty(), "{:?}", fx.log());
    assert!(read_bytes(&exe) == before, "the binary is untouched");
    let v = fx.status();
    assert_eq!(entry(&v, "queen-rbee", "queen-rbee")["fresh"], false);

    // With auto-build on again, ensure builds.
    fx.ensure(&["queen-rbee"]);
    assert_eq!(fx.builds().len(), 1, "{:?}", fx.log());
    assert!(run_daemon(&exe).contains("mark=v2"));

    // Never built: a clear error, no build.
    assert_not_built_error(&Fx::new("rbee"), &off);
}

#[test]
fn auto_build_off_by_configuration_for_one_binary() {
    let config = "auto-build = { default = true, \"queen-rbee\" = false }\n";
    let configured = || {
        let repo = Repo::from_fixture("rbee");
        repo.append("Cargo.toml", config);
        repo.commit("auto-build off for queen-rbee");
        Fx::with_repo(repo)
    };

    // Built, then stale: queen-rbee's existing path without a build; rbee-hive is built.
    let fx = configured();
    fx.build(&[]);
    fx.clear_log();
    let exe = fx.exe("queen-rbee");
    let before = read_bytes(&exe);
    fx.repo.replace(NARRATION, MARK_V1, MARK_V2);
    let path = fx.ensure(&["queen-rbee"]);
    assert_eq!(path, exe);
    assert!(fx.builds().is_empty(), "{:?}", fx.log());
    assert!(read_bytes(&exe) == before, "the binary is untouched");

    let hive = fx.ensure(&["rbee-hive"]);
    assert_eq!(hive, fx.exe("rbee-hive"));
    assert_eq!(fx.builds().len(), 1, "rbee-hive is built: {:?}", fx.log());
    assert!(run_daemon(&hive).contains("mark=v2"));

    // Never built: a clear error for queen-rbee.
    assert_not_built_error(&configured(), &[]);
}

// ---------------------------------------------------------------------------------------------
// 9. Concurrent callers: one build.

#[test]
fn concurrent_ensure_builds_once() {
    let fx = built_rbee();
    fx.repo.replace(NARRATION, MARK_V1, MARK_V2);
    let children: Vec<_> = (0..8)
        .map(|_| {
            fx.command(&["ensure", "queen-rbee"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn rbee-graph ensure")
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("wait for rbee-graph");
            Run {
                code: out.status.code(),
                stdout: String::from_utf8(out.stdout).expect("UTF-8"),
                stderr: String::from_utf8(out.stderr).expect("UTF-8"),
            }
        })
        .collect();
    let paths: BTreeSet<PathBuf> = runs.iter().map(ensured_path).collect();
    assert_eq!(paths.len(), 1, "all print the same path: {runs:#?}");
    assert_eq!(paths.into_iter().next(), Some(fx.exe("queen-rbee")));
    assert_eq!(
        fx.builds().len(),
        1,
        "exactly one cargo build: {:?}",
        fx.log()
    );
    assert!(run_daemon(&fx.exe("queen-rbee")).contains("mark=v2"));
}

// ---------------------------------------------------------------------------------------------
// 10. The fresh path runs no cargo.

#[test]
fn ensure_when_fresh_runs_no_cargo_at_all() {
    let fx = built_rbee();
    let path = fx.ensure(&["queen-rbee"]);
    assert_eq!(path, fx.exe("queen-rbee"));
    assert!(fx.log().is_empty(), "ensure ran cargo: {:?}", fx.log());
    let path = fx.ensure(&["--cascade", "rbee-keeper"]);
    assert_eq!(path, fx.exe("rbee-keeper"));
    assert!(
        fx.log().is_empty(),
        "ensure --cascade ran cargo: {:?}",
        fx.log()
    );
    assert_stale(&fx.status(), &BTreeSet::new());
    assert!(fx.log().is_empty(), "status ran cargo: {:?}", fx.log());
}

// ---------------------------------------------------------------------------------------------
// 11. The environment cargo reads.

#[test]
fn new_rustflags_make_every_binary_stale() {
    let fx = built_rbee();
    let v = fx.status_env(&[("RUSTFLAGS", "--cfg rbee_graph_test")]);
    assert_stale(&v, &all_rbee_bins());
    for (bin, package) in all_rbee_bins() {
        assert_record_reason(&v, (&bin, &package), &["RUSTFLAGS"]);
    }
    assert_stale(&fx.status(), &BTreeSet::new());
}

// ---------------------------------------------------------------------------------------------
// 12. Lock file entries.

fn change_checksum(repo: &Repo, name: &str) {
    let lock = repo.read("Cargo.lock");
    let header = format!("name = \"{name}\"\n");
    let at = lock
        .find(&header)
        .unwrap_or_else(|| panic!("no {name} in Cargo.lock"));
    let key = "checksum = \"";
    let start = at + lock[at..].find(key).expect("a checksum") + key.len();
    let mut edited = lock.clone();
    edited.replace_range(start..start + 64, &"0123456789abcdef".repeat(4));
    assert_ne!(edited, lock);
    repo.write("Cargo.lock", &edited);
}

/// The `lockfile` reason of `bin` of `package`, naming `Cargo.lock`.
fn lockfile_reason(v: &Value, bin: &str, package: &str) -> Value {
    let r = reasons_of(v, bin, package)
        .iter()
        .find(|r| r["kind"] == "lockfile")
        .unwrap_or_else(|| panic!("{bin} has no lockfile reason: {v:#}"))
        .clone();
    assert_eq!(r["path"], "Cargo.lock", "{r:#}");
    r
}

#[test]
fn lock_file_entry_changes_make_their_users_stale() {
    let fx = built_rbee();
    let original = fx.repo.read("Cargo.lock");

    change_checksum(&fx.repo, "cfg-if");
    let cfg_if = fx.status();
    assert_stale(&cfg_if, &pairs(&[("llm-worker-rbee", "llm-worker-rbee")]));
    lockfile_reason(&cfg_if, "llm-worker-rbee", "llm-worker-rbee");

    fx.repo.write("Cargo.lock", &original);
    assert_stale(&fx.status(), &BTreeSet::new());

    change_checksum(&fx.repo, "itoa");
    let itoa = fx.status();
    assert_stale(&itoa, &all_but_xtask());
    for (bin, package) in all_but_xtask() {
        lockfile_reason(&itoa, &bin, &package);
    }
    assert!(fx.builds().is_empty());

    // The reasons say which entry changed, and how it reaches the binary.
    let r = lockfile_reason(&cfg_if, "llm-worker-rbee", "llm-worker-rbee");
    assert_eq!(r["package"], "cfg-if", "{r:#}");
    assert_eq!(chain(&r), ["cfg-if", "llm-worker-rbee"], "{r:#}");
    for (bin, package) in all_but_xtask() {
        let r = lockfile_reason(&itoa, &bin, &package);
        assert_eq!(r["package"], "itoa", "{r:#}");
        let chain = chain(&r);
        assert_eq!(chain.first().map(String::as_str), Some("itoa"), "{r:#}");
        assert_eq!(chain.last(), Some(&package), "{r:#}");
        assert_chain_follows_edges(&chain);
    }
}

// ---------------------------------------------------------------------------------------------
// 13. `--force`, and a build with nothing stale.

#[test]
fn force_rebuilds_and_a_fresh_build_runs_no_cargo_build() {
    let fx = built_rbee();
    fx.build(&[]);
    assert!(
        fx.builds().is_empty(),
        "nothing stale, no cargo build: {:?}",
        fx.log()
    );

    let exe = fx.exe("xtask");
    let record = fx.record("xtask", "xtask");
    let stamp = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).expect("mtime");
    let (exe_before, record_before) = (stamp(&exe), stamp(&record));
    std::thread::sleep(Duration::from_millis(20));
    fx.build(&["--force", "xtask"]);
    let builds = fx.builds();
    assert_eq!(builds.len(), 1, "one cargo build: {:?}", fx.log());
    assert!(builds[0].contains("--bin xtask"), "{builds:?}");
    assert_eq!(
        builds[0].matches("--bin").count(),
        1,
        "only xtask is built: {builds:?}"
    );
    assert_ne!(stamp(&record), record_before, "the record is written again");
    assert_ne!(
        stamp(&exe),
        exe_before,
        "--force must really rebuild xtask, not let cargo call it fresh"
    );
    assert_stale(&fx.status(), &BTreeSet::new());
    parse_record(&record);
}
