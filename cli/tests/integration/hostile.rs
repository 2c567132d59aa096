//! Hostile and odd input: file names with spaces, quotes, shell syntax and non-UTF-8 bytes,
//! very long names and paths, symlink loops, a detached HEAD, a repository without commits, a
//! shallow clone, a bare repository, a workspace without binaries, a `--manifest-path` outside
//! the repository, and shell metacharacters in configured names.
//!
//! Each case has one right outcome, and the test asserts it: the correct answer where there is
//! one, a one-line error with exit status 2 where there is none (a repository without commits
//! has no `HEAD` to compare with, a bare one no working tree); never a panic, never a hang
//! (every run has a time limit), never output that is not UTF-8.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rbee_graph_testdata::{Repo, tempfile};
use serde_json::Value;

use crate::oracle::{Lab, Out};
use crate::util::{BIN, RBEE_BINS, apply_env_policy, real_cargo};

/// How long any one run may take before it counts as a hang.
const LIMIT: Duration = Duration::from_secs(120);

/// Runs `cmd` with the time limit; panics on a hang, a panic, or stdout that is not UTF-8.
fn run_limited(mut cmd: Command, what: &str) -> Out {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    // Drain the pipes on threads, so a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).ok();
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).ok();
        buf
    });
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} hung for more than {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_thread.join().expect("stdout thread");
    let stderr = err_thread.join().expect("stderr thread");
    assert!(
        std::str::from_utf8(&stdout).is_ok(),
        "{what}: stdout is not UTF-8: {:?}",
        String::from_utf8_lossy(&stdout)
    );
    let out = Out {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    assert!(!out.panicked(), "{what} panicked: {out:#?}");
    out
}

/// `rbee-graph ARGS` in the workspace of `lab`.
fn rg(lab: &Lab, args: &[&str]) -> Out {
    run_limited(lab.rbee_command(args), &format!("rbee-graph {args:?}"))
}

/// `rbee-graph ARGS` in `dir`, with git discovery stopping at `ceiling`.
fn rg_in(dir: &Path, ceiling: &Path, args: &[&OsStr]) -> Out {
    let mut cmd = Command::new(BIN);
    apply_env_policy(&mut cmd, Some(ceiling))
        .env("CARGO", real_cargo())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null());
    run_limited(cmd, &format!("rbee-graph {args:?} in {}", dir.display()))
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn refs(args: &[OsString]) -> Vec<&OsStr> {
    args.iter().map(OsString::as_os_str).collect()
}

/// Asserts a one-line error with exit status 2.
fn assert_one_line_error(out: &Out, what: &str) {
    assert_eq!(
        out.code,
        Some(2),
        "{what}: expected exit status 2: {out:#?}"
    );
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line on stderr: {out:#?}");
    assert!(lines[0].starts_with("error: "), "{what}: {out:#?}");
}

/// Asserts exit status 2 with one `error:` line at the end of stderr (commands that build log
/// their progress before failing).
fn assert_error_last(out: &Out, what: &str) {
    assert_eq!(
        out.code,
        Some(2),
        "{what}: expected exit status 2: {out:#?}"
    );
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error"))
        .collect();
    assert_eq!(errors.len(), 1, "{what}: one error line: {out:#?}");
    assert!(
        out.stderr.trim_end().lines().last() == Some(errors[0]),
        "{what}: the error comes last: {out:#?}"
    );
}

/// The JSON answer of a run that must succeed (exit 0, JSON on stdout).
fn answer(out: &Out, what: &str) -> Value {
    assert_eq!(out.code, Some(0), "{what}: expected an answer: {out:#?}");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {out:#?}"))
}

fn affected_bins(v: &Value) -> BTreeSet<String> {
    v["affected_binaries"]
        .as_array()
        .unwrap_or_else(|| panic!("affected_binaries: {v:#}"))
        .iter()
        .map(|b| b["name"].as_str().expect("name").to_owned())
        .collect()
}

fn stale_bins(v: &Value) -> BTreeSet<String> {
    v["binaries"]
        .as_array()
        .unwrap_or_else(|| panic!("binaries: {v:#}"))
        .iter()
        .filter(|b| b["fresh"] == false)
        .map(|b| b["name"].as_str().expect("name").to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn all_bins() -> BTreeSet<String> {
    RBEE_BINS.iter().map(|(b, _)| (*b).to_owned()).collect()
}

/// A built copy of the rbee fixture.
fn built() -> Lab {
    let lab = Lab::new(Repo::from_fixture("rbee"));
    let out = rg(&lab, &["build"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    lab
}

fn write_raw(root: &Path, rel: &[u8], content: &str) -> PathBuf {
    let path = root.join(OsStr::from_bytes(rel));
    fs::create_dir_all(path.parent().expect("a parent")).expect("create directories");
    fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

// ---------------------------------------------------------------------------------------------

#[test]
fn odd_file_names_inside_a_package_affect_that_package() {
    let lab = built();
    let long_name = format!("libs/job-server/src/{}.txt", "n".repeat(250));
    let deep = format!(
        "libs/job-server/data/{}deep.txt",
        format!("{}/", "d".repeat(100)).repeat(30)
    );
    let names: Vec<Vec<u8>> = vec![
        b"libs/job-server/src/we ird \"quoted\" 'single' $(touch x) `y` ; | & *.txt".to_vec(),
        b"libs/job-server/src/bad-\xff\xfe-name.txt".to_vec(),
        b"libs/job-server/src/caf\xc3\xa9 \xe2\x98\x83.txt".to_vec(),
        long_name.into_bytes(),
        deep.into_bytes(),
        b"libs/job-server/src/tab\there\nnewline.txt".to_vec(),
    ];
    let queen = set(&["queen-rbee"]);
    for name in &names {
        let what = String::from_utf8_lossy(name).into_owned();
        write_raw(lab.repo.root(), name, "odd\n");

        let worktree = rg(&lab, &["affected", "--base", "HEAD", "--format", "json"]);
        let v = answer(&worktree, &what);
        assert_eq!(affected_bins(&v), queen, "{what}: {v:#}");
        let text = rg(&lab, &["affected", "--base", "HEAD"]);
        assert_eq!(text.code, Some(0), "{what}: text output: {text:#?}");
        // Local mode compares what the builds read, and no build reads this file.
        let v = answer(&rg(&lab, &["status", "--format", "json"]), &what);
        assert!(stale_bins(&v).is_empty(), "{what}: read by no build: {v:#}");

        lab.repo.commit("odd name");
        let committed = rg(
            &lab,
            &[
                "affected", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
            ],
        );
        let v = answer(&committed, &what);
        assert_eq!(affected_bins(&v), queen, "{what} committed: {v:#}");
        let build = rg(&lab, &["build"]);
        assert_eq!(build.code, Some(0), "{what}: build: {build:#?}");
        let v = answer(&rg(&lab, &["status", "--format", "json"]), &what);
        assert!(
            stale_bins(&v).is_empty(),
            "{what}: fresh after build: {v:#}"
        );
    }
    assert!(
        !lab.repo.path("x").exists() && !lab.repo.path("libs/job-server/src/x").exists(),
        "a file name was run through a shell"
    );
}

/// A file with a non-UTF-8 name that a build reads (here: a build script's `rerun-if-changed`
/// directory), edited after the build, makes the binary stale. Once (found by this test) such a
/// name was read lossily and its change went unseen. With a UTF-8 name the same steps give
/// "stale" too (checked first below).
#[test]
fn regression_non_utf8_file_name_edited_after_the_build_is_stale() {
    let lab = Lab::new(Repo::from_fixture("rbee"));
    let root = lab.repo.root();
    lab.repo.write(
        "libs/job-server/build.rs",
        "fn main() { println!(\"cargo:rerun-if-changed=src\"); }\n",
    );
    lab.repo
        .commit("job-server's build script watches its sources");
    for name in [
        &b"libs/job-server/src/good.txt"[..],
        b"libs/job-server/src/bad\xff.txt",
    ] {
        let what = String::from_utf8_lossy(name).into_owned();
        write_raw(root, name, "one\n");
        let out = rg(&lab, &["build", "queen-rbee"]);
        assert_eq!(out.code, Some(0), "{out:#?}");
        write_raw(root, name, "two\n");
        let v = answer(&rg(&lab, &["status", "--format", "json"]), &what);
        assert!(
            stale_bins(&v).contains("queen-rbee"),
            "{what} changed in content after the build: queen-rbee must be stale: {v:#}"
        );
        fs::remove_file(root.join(OsStr::from_bytes(name))).expect("remove");
    }
}

#[test]
fn symlink_loops_neither_hang_nor_panic() {
    let lab = built();
    let root = lab.repo.root();
    symlink("loop", root.join("shared/loop")).expect("self loop");
    symlink("b", root.join("shared/a")).expect("a -> b");
    symlink("a", root.join("shared/b")).expect("b -> a");
    symlink("..", root.join("shared/up")).expect("up -> ..");
    symlink(".", root.join("libs/job-server/src/cycle")).expect("cycle -> .");
    symlink("/nonexistent/target", root.join("libs/job-server/dangling")).expect("dangling");

    let check = |args: &[&str]| {
        let v = answer(&rg(&lab, args), &format!("{args:?}"));
        assert!(
            affected_bins(&v).contains("queen-rbee"),
            "the symlinks in job-server affect queen-rbee: {v:#}"
        );
    };
    check(&["affected", "--base", "HEAD", "--format", "json"]);
    // Local mode compares what the builds read; no build reads these.
    let v = answer(&rg(&lab, &["status", "--format", "json"]), "status");
    assert!(stale_bins(&v).is_empty(), "read by no build: {v:#}");
    lab.repo.commit("symlinks");
    check(&[
        "affected", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
    ]);
    let build = rg(&lab, &["build"]);
    assert_eq!(build.code, Some(0), "{build:#?}");
    let v = answer(&rg(&lab, &["status", "--format", "json"]), "status");
    assert!(stale_bins(&v).is_empty(), "fresh after the build: {v:#}");
    let out = rg(&lab, &["graph", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
}

#[test]
fn detached_head_is_a_commit_like_any_other() {
    let lab = built();
    let first = lab.repo.head();
    lab.repo.replace(
        "libs/narration-core/src/lib.rs",
        "pub const MARK: &str = \"v1\";",
        "pub const MARK: &str = \"v2\";",
    );
    let second = lab.repo.commit("v2");
    lab.repo.git(&["checkout", "-q", "--detach", &first]);

    let v = answer(
        &rg(&lab, &["affected", "--base", "main", "--format", "json"]),
        "detached",
    );
    assert_eq!(
        v["base"],
        first.as_str(),
        "merge-base(main, HEAD) is HEAD: {v:#}"
    );
    assert!(affected_bins(&v).is_empty(), "{v:#}");
    let v = answer(&rg(&lab, &["status", "--format", "json"]), "status");
    assert!(stale_bins(&v).is_empty(), "built from this commit: {v:#}");

    lab.repo.git(&["checkout", "-q", "--detach", &second]);
    let v = answer(
        &rg(&lab, &["affected", "--base", &first, "--format", "json"]),
        "detached",
    );
    let but_xtask: BTreeSet<String> = all_bins().into_iter().filter(|b| b != "xtask").collect();
    assert_eq!(affected_bins(&v), but_xtask, "{v:#}");
    let v = answer(&rg(&lab, &["status", "--format", "json"]), "status");
    assert_eq!(stale_bins(&v), but_xtask, "{v:#}");
    let build = rg(&lab, &["build"]);
    assert_eq!(build.code, Some(0), "{build:#?}");
    let v = answer(&rg(&lab, &["status", "--format", "json"]), "status");
    assert!(stale_bins(&v).is_empty(), "{v:#}");
    for b in v["binaries"].as_array().expect("binaries") {
        if b["name"] != "xtask" {
            assert_eq!(b["recorded_commit"], second.as_str(), "{b:#}");
        }
    }
}

#[test]
fn repository_without_commits() {
    let lab = Lab::new(Repo::without_git("rbee"));
    let init = lab.try_git(&["init", "-q", "-b", "main"]);
    assert_eq!(init.code, Some(0), "{init:#?}");

    for args in [
        &["affected", "--base", "HEAD"][..],
        &["affected", "--base", "HEAD", "--format", "json"][..],
        &["affected", "--base", "main", "--head", "HEAD"][..],
    ] {
        assert_one_line_error(&rg(&lab, args), &format!("{args:?}"));
    }
    // Local mode has a correct answer: nothing was ever built.
    let v = answer(&rg(&lab, &["status", "--format", "json"]), "status");
    assert_eq!(stale_bins(&v), all_bins(), "{v:#}");
    let text = rg(&lab, &["status"]);
    assert_eq!(text.code, Some(0), "{text:#?}");
    let v = answer(&rg(&lab, &["affected", "--format", "json"]), "affected");
    assert_eq!(affected_bins(&v), all_bins(), "{v:#}");
    // A build cannot be recorded without a commit: a clear error, nothing recorded.
    for args in [&["build"][..], &["ensure", "queen-rbee"][..]] {
        assert_error_last(&rg(&lab, args), &format!("{args:?}"));
    }
    assert!(lab.record_files().is_empty(), "{:?}", lab.record_files());
}

#[test]
fn workspace_without_binaries() {
    let repo = Repo::from_fixture("rbee");
    repo.remove("bin");
    repo.remove("xtask");
    repo.write(
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"libs/*\"]\n\n[workspace.package]\n\
         version = \"0.1.0\"\nedition = \"2021\"\npublish = false\n",
    );
    repo.commit("libraries only");
    let lab = Lab::new(repo);

    let v = answer(&rg(&lab, &["status", "--format", "json"]), "status");
    assert_eq!(v["binaries"], serde_json::json!([]), "{v:#}");
    for args in [
        &["affected", "--base", "HEAD~1", "--format", "json"][..],
        &["affected", "--base", "HEAD", "--format", "json"][..],
        &["affected", "--format", "json"][..],
    ] {
        let v = answer(&rg(&lab, args), &format!("{args:?}"));
        assert!(affected_bins(&v).is_empty(), "{args:?}: {v:#}");
    }
    for args in [
        &["build"][..],
        &["status"][..],
        &["graph", "--format", "json"][..],
    ] {
        let out = rg(&lab, args);
        assert_eq!(out.code, Some(0), "{args:?}: {out:#?}");
    }
    let m = rg(
        &lab,
        &["affected", "--base", "HEAD~1", "--format", "github-matrix"],
    );
    let v: Value = serde_json::from_str(&m.stdout).expect("a matrix");
    assert_eq!(v, serde_json::json!({"include": []}), "{m:#?}");
    assert_one_line_error(&rg(&lab, &["ensure", "narration-core"]), "ensure a library");
}

#[test]
fn manifest_path_outside_the_repository() {
    let lab = Lab::new(Repo::from_fixture("rbee"));
    let plain = Repo::without_git("rbee");
    let manifest = plain.path("Cargo.toml");
    let ceiling = plain.root().parent().expect("a parent").to_owned();
    for args in [
        vec!["affected", "--base", "HEAD", "--manifest-path"],
        vec!["status", "--manifest-path"],
        vec!["build", "--manifest-path"],
    ] {
        let mut all = os(&args);
        all.push(manifest.clone().into_os_string());
        let out = rg_in(&lab.repo.workspace(), &ceiling, &refs(&all));
        assert_one_line_error(&out, &format!("{all:?} (not in a git repository)"));
    }
    // Only the target directory may be written (a metadata cache); nothing is built.
    assert!(!plain.path("target/debug").exists(), "nothing was built");

    // Another repository: the answer is about that one, not the current directory's.
    let other = Repo::from_fixture("rbee");
    other.replace(
        "libs/narration-core/src/lib.rs",
        "pub const MARK: &str = \"v1\";",
        "pub const MARK: &str = \"v2\";",
    );
    let mut all = os(&[
        "affected",
        "--base",
        "HEAD",
        "--format",
        "json",
        "--manifest-path",
    ]);
    all.push(other.path("Cargo.toml").into_os_string());
    let out = rg_in(&lab.repo.workspace(), &ceiling, &refs(&all));
    let v = answer(&out, "other repository");
    let but_xtask: BTreeSet<String> = all_bins().into_iter().filter(|b| b != "xtask").collect();
    assert_eq!(affected_bins(&v), but_xtask, "{v:#}");
    assert_eq!(v["base"], other.head().as_str(), "{v:#}");
}

#[test]
fn bare_repository() {
    let source = Repo::from_fixture("rbee");
    let dir = tempfile::tempdir().expect("tempdir");
    let bare = dir.path().join("bare.git");
    let clone = source.git(&["clone", "-q", "--bare", ".", bare.to_str().expect("UTF-8")]);
    assert!(clone.is_empty(), "{clone}");
    let ceiling = dir.path();
    for args in [
        &["affected", "--base", "HEAD"][..],
        &["affected", "--base", "HEAD~0", "--head", "HEAD"][..],
        &["status"][..],
        &["build"][..],
    ] {
        let out = rg_in(&bare, ceiling, &refs(&os(args)));
        assert_one_line_error(&out, &format!("{args:?} in a bare repository"));
    }
    let mut all = os(&["status", "--manifest-path"]);
    all.push(bare.join("Cargo.toml").into_os_string());
    assert_one_line_error(
        &rg_in(&bare, ceiling, &refs(&all)),
        "manifest in a bare repo",
    );
}

#[test]
fn shallow_clone() {
    let source = Repo::from_fixture("rbee");
    source.append("shared/prompts.txt", "More.\n");
    source.commit("second");
    let dir = tempfile::tempdir().expect("tempdir");
    let clone = dir.path().join("shallow");
    let url = format!("file://{}", source.root().display());
    source.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        clone.to_str().expect("UTF-8"),
    ]);
    let ceiling = dir.path();
    let run = |args: &[&str]| rg_in(&clone, ceiling, &refs(&os(args)));

    let beyond = run(&["affected", "--base", "HEAD~1"]);
    assert_one_line_error(&beyond, "beyond the depth");
    assert!(
        beyond.stderr.contains("not in this shallow clone") && !beyond.stderr.contains("delegate"),
        "says it is the clone's depth, in words, not gix's: {beyond:#?}"
    );
    let v = answer(
        &run(&["affected", "--base", "HEAD", "--format", "json"]),
        "HEAD",
    );
    assert!(affected_bins(&v).is_empty(), "{v:#}");
    let v = answer(&run(&["status", "--format", "json"]), "status");
    assert_eq!(stale_bins(&v), all_bins(), "{v:#}");
    let build = run(&["build"]);
    assert_eq!(build.code, Some(0), "{build:#?}");
    let v = answer(&run(&["status", "--format", "json"]), "status");
    assert!(stale_bins(&v).is_empty(), "{v:#}");
}

#[test]
fn shell_metacharacters_in_configured_names_run_nothing() {
    let repo = Repo::from_fixture("rbee");
    let manifest = repo.read("Cargo.toml");
    let spawns = "spawns = { \"rbee-keeper\" = [\"queen-rbee\"], \"queen-rbee\" = [\"rbee-hive\"], \
                  \"rbee-hive\" = [\"llm-worker-rbee\"] }";
    assert!(manifest.contains(spawns), "the fixture's spawns line");
    let hostile = "spawns = { \"rbee-keeper\" = [\"queen-rbee; touch PWNED1\"], \
                   \"$(touch PWNED2)\" = [\"rbee-hive\"] }\n\
                   auto-build = { default = true, \"`touch PWNED3`\" = false }";
    repo.write("Cargo.toml", &manifest.replace(spawns, hostile));
    repo.commit("hostile names");
    let lab = Lab::new(repo);
    for args in [
        &["status"][..],
        &["affected", "--base", "HEAD~1", "--format", "json"][..],
        &["build", "--cascade", "rbee-keeper"][..],
        &["ensure", "rbee-keeper", "--cascade"][..],
        &["graph", "--format", "json"][..],
    ] {
        // The names are only names: no binary is called so, so each is ignored with a warning
        // (as any unknown name is), and the command answers as if they were not there.
        let out = rg(&lab, args);
        assert_eq!(out.code, Some(0), "{args:?}: {out:#?}");
        for name in [
            "queen-rbee; touch PWNED1",
            "$(touch PWNED2)",
            "`touch PWNED3`",
        ] {
            assert!(
                out.stderr.lines().any(|l| l.contains("WARN configuration")
                    && l.contains(&format!("names `{name}`, but the workspace has no binary"))),
                "{args:?}: a warning that {name:?} names no binary: {out:#?}"
            );
        }
    }
    for n in 1..=3 {
        let name = format!("PWNED{n}");
        assert!(
            !lab.repo.path(&name).exists() && !Path::new(&name).exists(),
            "{name}: a configured name went through a shell"
        );
    }
}
