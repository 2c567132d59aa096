//! Inputs beyond git: `status` must never call a binary fresh when something its build read
//! changed, and `ensure` must hand out a binary that runs the current sources.
//!
//! "Read" means what cargo read, not what git tracks: ignored files, files outside the
//! repository or reached through symlinks, `.git/HEAD`, `.cargo/config.toml` in cargo's
//! working directory and its ancestors and in `$CARGO_HOME`, toolchain files, the lock file
//! whether tracked or not, and the environment the compiler saw (README, "What fresh means";
//! DESIGN, "Build records").
//!
//! Every test builds its own copy of the `rbee` fixture (or `same-names`), usually one binary
//! only, makes one change, then asserts (a) that `status --format json` lists the binary as
//! stale and, where the change shows in the binary's output, (b) that `ensure` then hands out
//! a binary that prints the new behaviour. Reasons are never asserted (their kinds may change);
//! they appear in failure messages only.
//!
//! Cargo runs through a shim (`$CARGO`) that logs its arguments, as in `records`.

#![cfg(unix)]

use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use rbee_graph_testdata::{Repo, configure_git_env, tempfile};
use serde_json::Value;

use crate::util::{BIN, CargoShim, Run, apply_env_policy, command, output, real_cargo, skip};

const NARRATION: &str = "libs/narration-core/src/lib.rs";
const MARK_V1: &str = "pub const MARK: &str = \"v1\";";
const MARK_V2: &str = "pub const MARK: &str = \"v2\";";
const WORKER: (&str, &str) = ("llm-worker-rbee", "llm-worker-rbee");
const XTASK: (&str, &str) = ("xtask", "xtask");
const HIVE: (&str, &str) = ("rbee-hive", "rbee-hive");

// ---------------------------------------------------------------------------------------------
// A fixture repository, a scratch directory outside it, and a logging cargo shim.

/// A copy of a fixture, a logging cargo shim, a scratch directory outside the repository (for
/// whatever a test puts outside the repository), and environment variables every run of the
/// binary gets.
struct Fx {
    repo: Repo,
    scratch: tempfile::TempDir,
    shim: CargoShim,
    env: Vec<(String, OsString)>,
    removed: Vec<String>,
}

impl Fx {
    fn new() -> Fx {
        Fx::with_repo(Repo::from_fixture("rbee"))
    }

    fn with_repo(repo: Repo) -> Fx {
        Fx::with_repo_and_cargo(repo, &real_cargo())
    }

    /// Like [`Fx::with_repo`], with the shim running `real` (a path or a name on `PATH`).
    fn with_repo_and_cargo(repo: Repo, real: &OsStr) -> Fx {
        let scratch = tempfile::Builder::new()
            .prefix("rbee-graph-inputs-")
            .tempdir()
            .expect("create the scratch directory");
        Fx {
            repo,
            scratch,
            shim: CargoShim::running(real),
            env: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// A path in the scratch directory, outside the repository.
    fn outside(&self, rel: &str) -> PathBuf {
        self.scratch.path().join(rel)
    }

    /// Sets `key` for every later run of the binary.
    fn set_env(&mut self, key: &str, value: impl Into<OsString>) {
        self.env.push((key.to_owned(), value.into()));
    }

    /// Removes `key` from the environment of every later run of the binary.
    fn remove_env(&mut self, key: &str) {
        self.removed.push(key.to_owned());
    }

    /// Runs `rbee-graph ARGS` in `dir`, through the shim, with extra variables `extra`.
    fn run_at(&self, dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut cmd = command(BIN, &self.repo);
        cmd.env("CARGO", self.shim.path());
        for key in &self.removed {
            cmd.env_remove(key);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        for (key, value) in extra {
            cmd.env(key, value);
        }
        cmd.args(args).current_dir(dir);
        output(&mut cmd)
    }

    /// Plain `cargo ARGS` in `dir`, with this fixture's environment: the developer who does
    /// not go through rbee-graph.
    fn plain_cargo_at(&self, dir: &Path, args: &[&str]) {
        let mut cmd = command(self.shim.path(), &self.repo);
        for key in &self.removed {
            cmd.env_remove(key);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        let out = cmd
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
        assert!(
            out.status.success(),
            "cargo {args:?} in {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_at(&self.repo.workspace(), args, &[])
    }

    /// `rbee-graph build ARGS` in the workspace, which must succeed.
    fn build(&self, args: &[&str]) {
        self.build_at(&self.repo.workspace(), args, &[]);
    }

    fn build_at(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        self.run_at(dir, &all, env).success();
    }

    /// `rbee-graph status --format json` in the workspace.
    fn status(&self) -> Value {
        self.status_at(&self.repo.workspace(), &[], &[])
    }

    fn status_env(&self, env: &[(&str, &str)]) -> Value {
        self.status_at(&self.repo.workspace(), &[], env)
    }

    /// `rbee-graph status --format json EXTRA` in `dir`.
    fn status_at(&self, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Value {
        let mut all = vec!["status", "--format", "json"];
        all.extend_from_slice(extra);
        let v = self.run_at(dir, &all, env).json();
        assert_eq!(v["schema"], 1, "{v:#}");
        v
    }

    /// `rbee-graph ensure ARGS` in the workspace: the path printed.
    fn ensure(&self, args: &[&str]) -> PathBuf {
        self.ensure_at(&self.repo.workspace(), args, &[])
    }

    fn ensure_env(&self, args: &[&str], env: &[(&str, &str)]) -> PathBuf {
        self.ensure_at(&self.repo.workspace(), args, env)
    }

    fn ensure_at(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> PathBuf {
        let mut all = vec!["ensure"];
        all.extend_from_slice(args);
        ensured_path(&self.run_at(dir, &all, env))
    }

    /// The cargo invocations logged so far, one line of arguments each.
    fn log(&self) -> Vec<String> {
        self.shim.calls()
    }

    /// Empties the cargo log.
    fn clear_log(&self) {
        self.shim.clear();
    }

    fn builds(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|l| l == "build" || l.starts_with("build "))
            .collect()
    }

    /// The built executable of `bin` (dev profile, host target).
    fn exe(&self, bin: &str) -> PathBuf {
        self.repo.workspace().join("target/debug").join(bin)
    }
}

/// Checks the answer of `ensure`: exit 0, stdout is one absolute path to an existing file.
fn ensured_path(run: &Run) -> PathBuf {
    let out = run.success();
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

/// Runs a built binary (spawning nothing, with no greeting in its environment); returns its
/// standard output.
fn run_exe(exe: &Path) -> String {
    let mut cmd = Command::new(exe);
    let out = apply_env_policy(&mut cmd, None)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", exe.display()));
    assert!(out.status.success(), "{} failed: {out:?}", exe.display());
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Asserts that `exe` prints `needle`: it runs `what`. Returns the output.
fn assert_runs(exe: &Path, needle: &str, what: &str) -> String {
    let out = run_exe(exe);
    assert!(
        out.contains(needle),
        "{} must run {what} (print {needle:?}), but it printed:\n{out}",
        exe.display()
    );
    out
}

/// The status entry of `bin` of `package`.
fn entry<'v>(v: &'v Value, bin: &str, package: &str) -> &'v Value {
    v["binaries"]
        .as_array()
        .unwrap_or_else(|| panic!("`binaries` is not an array: {v:#}"))
        .iter()
        .find(|b| b["name"] == bin && b["package"] == package)
        .unwrap_or_else(|| panic!("{bin} ({package}) is not listed: {v:#}"))
}

/// Asserts that status calls `bin` of `package` stale: `change` happened since its build.
fn assert_stale(v: &Value, (bin, package): (&str, &str), change: &str) {
    let e = entry(v, bin, package);
    assert_eq!(
        e["fresh"].as_bool(),
        Some(false),
        "{bin} ({package}) is reported fresh, but {change}; its status entry: {e:#}"
    );
}

/// Asserts that status calls `bin` of `package` fresh: `why`.
fn assert_fresh(v: &Value, (bin, package): (&str, &str), why: &str) {
    let e = entry(v, bin, package);
    assert_eq!(
        e["fresh"].as_bool(),
        Some(true),
        "{bin} ({package}) is reported stale, but {why}; its reasons: {:#}",
        e["reasons"]
    );
}

/// Runs git with `args` in `dir`, pinned as [`Repo::git`] does; returns trimmed stdout.
fn git_in(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    configure_git_env(&mut cmd)
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(["-c", "core.autocrlf=false"])
        .args(args)
        .current_dir(dir);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run git {args:?}: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

/// Lets cargo add new path dependencies to `Cargo.lock` (so the commit holds the lock file the
/// build will use).
fn update_lock(repo: &Repo) {
    let out = command(real_cargo(), repo)
        .args([
            "metadata",
            "--offline",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(repo.workspace().join("Cargo.toml"))
        .stdout(Stdio::null())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Rewrites `xtask/src/main.rs` to print `xtask: {expr}`.
fn xtask_prints(repo: &Repo, expr: &str) {
    repo.write(
        "xtask/src/main.rs",
        &format!(
            "//! Workspace chores.\n\nfn main() {{\n    println!(\"xtask: {{}}\", {expr});\n}}\n"
        ),
    );
}

fn write_file(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
    }
    fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
}

fn set_mtime(path: &Path, when: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(when))
        .unwrap_or_else(|e| panic!("set the mtime of {}: {e}", path.display()));
}

/// Changes the checksum of the lock entry `name`, as in `records`.
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

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

/// The worker's build script, with `extra` lines at the start of `main` and the label
/// computed by `label` (a Rust expression; `build_info::label()` is the fixture's).
fn worker_build_script(extra: &str, label: &str) -> String {
    format!(
        "use std::{{env, fs, path::Path}};\n\n\
         fn main() {{\n\
         \x20   println!(\"cargo:rerun-if-changed=build.rs\");\n\
         {extra}\
         \x20   let out = Path::new(&env::var(\"OUT_DIR\").expect(\"OUT_DIR\")).join(\"label.rs\");\n\
         \x20   let label: String = {label};\n\
         \x20   fs::write(out, format!(\"pub const LABEL: &str = {{label:?}};\\n\")).expect(\"write\");\n\
         }}\n"
    )
}

// ---------------------------------------------------------------------------------------------
// 1. The lock file, when git ignores it.

#[test]
fn git_ignored_cargo_lock_entry_change_makes_its_user_stale() {
    let fx = Fx::new();
    fx.repo.append(".gitignore", "/Cargo.lock\n");
    fx.repo.git(&["rm", "-q", "--cached", "Cargo.lock"]);
    fx.repo.commit("stop tracking Cargo.lock");
    fx.build(&["llm-worker-rbee"]);

    // cfg-if is reached only by the worker.
    change_checksum(&fx.repo, "cfg-if");
    let v = fx.status();
    assert_stale(
        &v,
        WORKER,
        "the cfg-if entry of the git-ignored Cargo.lock changed",
    );

    // With this checksum cargo may refuse to build; but ensure must not hand out the old
    // binary without asking cargo.
    fx.clear_log();
    let run = fx.run(&["ensure", "llm-worker-rbee"]);
    assert!(
        !fx.builds().is_empty(),
        "ensure handed out the worker without running cargo after its lock entry changed: \
         {run:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. `.cargo/config.toml` that git does not see.

/// A fixture whose `.cargo/` directory git ignores, committed.
fn with_ignored_cargo_dir() -> Fx {
    let fx = Fx::new();
    fx.repo.append(".gitignore", "/.cargo\n");
    fx.repo.commit("ignore .cargo");
    fx
}

#[test]
fn git_ignored_cargo_config_env_change_makes_stale() {
    let fx = with_ignored_cargo_dir();
    fx.build(&["llm-worker-rbee"]);
    fx.repo.write(
        ".cargo/config.toml",
        "[env]\nRBEE_GREETING = \"hello from an ignored config\"\n",
    );
    let v = fx.status();
    assert_stale(
        &v,
        WORKER,
        "a git-ignored .cargo/config.toml now sets [env] RBEE_GREETING, which narration-core \
         reads with option_env!",
    );
    let exe = fx.ensure(&["llm-worker-rbee"]);
    assert_runs(
        &exe,
        "hello from an ignored config",
        "the greeting from .cargo/config.toml",
    );
}

#[test]
fn git_ignored_cargo_config_rustflags_change_makes_stale() {
    let fx = with_ignored_cargo_dir();
    xtask_prints(
        &fx.repo,
        "if cfg!(rbee_flag) { \"flag on\" } else { \"flag off\" }",
    );
    fx.repo.commit("xtask prints its cfg");
    fx.build(&["xtask"]);
    fx.repo.write(
        ".cargo/config.toml",
        "[build]\nrustflags = [\"--cfg\", \"rbee_flag\"]\n",
    );
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "a git-ignored .cargo/config.toml now sets build.rustflags = [\"--cfg\", \"rbee_flag\"]",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: flag on", "code compiled with --cfg rbee_flag");
}

#[test]
fn git_ignored_cargo_config_profile_change_makes_stale() {
    let fx = with_ignored_cargo_dir();
    xtask_prints(
        &fx.repo,
        "if cfg!(debug_assertions) { \"assertions on\" } else { \"assertions off\" }",
    );
    fx.repo.commit("xtask prints debug_assertions");
    fx.build(&["xtask"]);
    assert_runs(&fx.exe("xtask"), "xtask: assertions on", "a dev build");
    fx.repo.write(
        ".cargo/config.toml",
        "[profile.dev]\nopt-level = 1\ndebug-assertions = false\n",
    );
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "a git-ignored .cargo/config.toml now sets [profile.dev] opt-level = 1 and \
         debug-assertions = false",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(
        &exe,
        "xtask: assertions off",
        "code built with debug-assertions = false",
    );
}

#[test]
fn cargo_config_above_the_repository_makes_stale() {
    // <dir>/repo is the repository; <dir> is a plain directory above it, where cargo still
    // reads <dir>/.cargo/config.toml.
    let repo = Repo::from_fixture_in("rbee", "repo");
    let ws = repo.workspace();
    fs::remove_dir_all(repo.root().join(".git")).expect("remove the outer .git");
    fs::remove_file(repo.root().join("README.md")).expect("remove the outer README");
    git_in(&ws, &["init", "-q", "-b", "main"]);
    git_in(&ws, &["add", "-A"]);
    git_in(&ws, &["commit", "-q", "-m", "initial"]);
    assert_eq!(
        PathBuf::from(git_in(&ws, &["rev-parse", "--show-toplevel"])),
        ws
    );

    let fx = Fx::with_repo(repo);
    fx.build(&["llm-worker-rbee"]);
    // Repo paths are relative to <dir>: this is <dir>/.cargo/config.toml.
    fx.repo.write(
        ".cargo/config.toml",
        "[env]\nRBEE_GREETING = \"hello from above the repository\"\n",
    );
    let v = fx.status();
    assert_stale(
        &v,
        WORKER,
        "a .cargo/config.toml in the directory above the repository now sets [env] \
         RBEE_GREETING",
    );
    let exe = fx.ensure(&["llm-worker-rbee"]);
    assert_runs(
        &exe,
        "hello from above the repository",
        "the greeting from the config above the repository",
    );
}

// ---------------------------------------------------------------------------------------------
// 3.-5. Ignored files the build reads.

#[test]
fn include_str_of_a_git_ignored_file_makes_stale() {
    let fx = Fx::new();
    xtask_prints(&fx.repo, "include_str!(\"../data/ignored.txt\").trim()");
    fx.repo.append(".gitignore", "/xtask/data/ignored.txt\n");
    fx.repo.write("xtask/data/ignored.txt", "ignored-v1\n");
    fx.repo.commit("xtask prints an ignored file");
    assert!(
        !fx.repo
            .git(&["ls-files"])
            .contains("xtask/data/ignored.txt"),
        "the data file is not tracked"
    );
    fx.build(&["xtask"]);
    assert_runs(&fx.exe("xtask"), "xtask: ignored-v1", "the first content");

    fx.repo.write("xtask/data/ignored.txt", "ignored-v2\n");
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "xtask/data/ignored.txt (git-ignored, read with include_str!) changed",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(
        &exe,
        "xtask: ignored-v2",
        "the new content of the ignored file",
    );
}

#[test]
fn build_script_rerun_if_changed_on_a_git_ignored_file_makes_stale() {
    let fx = Fx::new();
    fx.repo.write(
        "bin/llm-worker-rbee/build.rs",
        &worker_build_script(
            "    println!(\"cargo:rerun-if-changed=model.cfg\");\n",
            "format!(\"{}+{}\", build_info::label(), \
             fs::read_to_string(\"model.cfg\").expect(\"model.cfg\").trim())",
        ),
    );
    fx.repo
        .append(".gitignore", "/bin/llm-worker-rbee/model.cfg\n");
    fx.repo.write("bin/llm-worker-rbee/model.cfg", "model-a\n");
    fx.repo
        .commit("the worker's build script reads an ignored file");
    fx.build(&["llm-worker-rbee"]);
    assert_runs(
        &fx.exe("llm-worker-rbee"),
        "rbee-build-1+model-a",
        "the first model",
    );

    fx.repo.write("bin/llm-worker-rbee/model.cfg", "model-b\n");
    let v = fx.status();
    assert_stale(
        &v,
        WORKER,
        "bin/llm-worker-rbee/model.cfg (git-ignored, named by the build script's \
         rerun-if-changed) changed",
    );
    let exe = fx.ensure(&["llm-worker-rbee"]);
    assert_runs(&exe, "rbee-build-1+model-b", "the new model");
}

#[test]
fn path_dependency_in_a_git_ignored_directory_makes_stale() {
    let fx = Fx::new();
    fx.repo.write(
        "third_party/vendored/Cargo.toml",
        "[package]\nname = \"vendored\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         publish = false\n",
    );
    fx.repo.write(
        "third_party/vendored/src/lib.rs",
        "pub const WORD: &str = \"vendored-v1\";\n",
    );
    fx.repo.append(
        "xtask/Cargo.toml",
        "\n[dependencies]\nvendored = { path = \"../third_party/vendored\" }\n",
    );
    xtask_prints(&fx.repo, "vendored::WORD");
    fx.repo.append(".gitignore", "/third_party\n");
    update_lock(&fx.repo);
    fx.repo.commit("xtask uses an ignored vendored crate");
    fx.build(&["xtask"]);
    assert_runs(&fx.exe("xtask"), "xtask: vendored-v1", "the vendored crate");

    fx.repo.replace(
        "third_party/vendored/src/lib.rs",
        "vendored-v1",
        "vendored-v2",
    );
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "third_party/vendored/src/lib.rs (git-ignored path dependency) changed",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: vendored-v2", "the new vendored code");
}

// ---------------------------------------------------------------------------------------------
// 6. `.git/HEAD`, read by a build script.

/// A worker whose build script embeds `.git/HEAD` and reruns when it changes.
fn worker_reading_git_head() -> Fx {
    let fx = Fx::new();
    fx.repo.write(
        "bin/llm-worker-rbee/build.rs",
        &worker_build_script(
            "    println!(\"cargo:rerun-if-changed=../../.git/HEAD\");\n\
             \x20   let head = fs::read_to_string(\"../../.git/HEAD\").expect(\".git/HEAD\");\n\
             \x20   println!(\"cargo:rustc-env=GIT_HEAD={}\", head.trim());\n",
            "build_info::label().to_owned()",
        ),
    );
    fx.repo.replace(
        "bin/llm-worker-rbee/src/worker.rs",
        "    narration_core::stay_if_supervised();",
        "    println!(\"git-head={}\", env!(\"GIT_HEAD\"));\n    \
         narration_core::stay_if_supervised();",
    );
    fx.repo.commit("the worker embeds .git/HEAD");
    fx
}

#[test]
fn git_head_read_by_a_build_script_makes_stale_after_a_checkout() {
    let fx = worker_reading_git_head();
    fx.build(&["llm-worker-rbee"]);
    assert_runs(
        &fx.exe("llm-worker-rbee"),
        "git-head=ref: refs/heads/main",
        "the first HEAD",
    );

    fx.repo.git(&["checkout", "-q", "-b", "other"]);
    let v = fx.status();
    assert_stale(
        &v,
        WORKER,
        ".git/HEAD (named by the build script's rerun-if-changed) now says refs/heads/other",
    );
    let exe = fx.ensure(&["llm-worker-rbee"]);
    assert_runs(
        &exe,
        "git-head=ref: refs/heads/other",
        "the HEAD after the checkout",
    );
}

#[test]
fn git_head_read_by_a_build_script_unchanged_ensure_twice_runs_no_cargo() {
    let fx = worker_reading_git_head();
    fx.build(&["llm-worker-rbee"]);
    fx.ensure(&["llm-worker-rbee"]);
    fx.clear_log();
    let v = fx.status();
    assert_fresh(&v, WORKER, "nothing changed since its build");
    let exe = fx.ensure(&["llm-worker-rbee"]);
    assert!(
        fx.log().is_empty(),
        "the second ensure with nothing changed ran cargo: {:?}",
        fx.log()
    );
    assert_runs(&exe, "git-head=ref: refs/heads/main", "the built HEAD");
}

// ---------------------------------------------------------------------------------------------
// 7.-10. Outside the repository, and symlinks.

#[test]
fn path_dependency_outside_the_repository_makes_stale() {
    let fx = Fx::new();
    let dep = fx.outside("outside-crate");
    write_file(
        &dep.join("Cargo.toml"),
        "[package]\nname = \"outside\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         publish = false\n",
    );
    write_file(
        &dep.join("src/lib.rs"),
        "pub const WORD: &str = \"outside-v1\";\n",
    );
    fx.repo.append(
        "xtask/Cargo.toml",
        &format!(
            "\n[dependencies]\noutside = {{ path = \"{}\" }}\n",
            dep.display()
        ),
    );
    xtask_prints(&fx.repo, "outside::WORD");
    update_lock(&fx.repo);
    fx.repo.commit("xtask uses a crate outside the repository");
    fx.build(&["xtask"]);
    assert_runs(&fx.exe("xtask"), "xtask: outside-v1", "the outside crate");

    write_file(
        &dep.join("src/lib.rs"),
        "pub const WORD: &str = \"outside-v2\";\n",
    );
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "the source of its path dependency outside the repository changed",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: outside-v2", "the new outside code");
}

#[test]
fn include_str_through_a_symlink_to_a_file_outside_the_repository_makes_stale() {
    let fx = Fx::new();
    let target = fx.outside("greeting.txt");
    write_file(&target, "linked-v1\n");
    symlink(&target, fx.repo.path("xtask/greeting.txt")).expect("symlink greeting.txt");
    xtask_prints(&fx.repo, "include_str!(\"../greeting.txt\").trim()");
    fx.repo.commit("xtask prints a symlinked file");
    fx.build(&["xtask"]);
    assert_runs(&fx.exe("xtask"), "xtask: linked-v1", "the first content");

    write_file(&target, "linked-v2\n");
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "the file outside the repository that xtask/greeting.txt links to changed",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: linked-v2", "the new linked content");
}

#[test]
fn member_directory_symlinked_to_outside_the_repository_makes_stale() {
    let fx = Fx::new();
    let real = fx.outside("narration-core");
    fs::rename(fx.repo.path("libs/narration-core"), &real).expect("move narration-core out");
    symlink(&real, fx.repo.path("libs/narration-core")).expect("symlink narration-core");
    fx.repo.commit("narration-core lives outside, symlinked in");
    fx.build(&["rbee-hive"]);
    assert_runs(&fx.exe("rbee-hive"), "mark=v1", "the first mark");

    let lib = real.join("src/lib.rs");
    let text = fs::read_to_string(&lib).expect("read narration-core");
    fs::write(&lib, text.replacen(MARK_V1, MARK_V2, 1)).expect("edit narration-core");
    let v = fx.status();
    assert_stale(
        &v,
        HIVE,
        "narration-core (a member symlinked to a directory outside the repository) changed \
         through its real path",
    );
    let exe = fx.ensure(&["rbee-hive"]);
    assert_runs(&exe, "mark=v2", "the new narration-core");
}

#[test]
fn member_directory_symlinked_inside_the_repository_makes_stale() {
    let fx = Fx::new();
    fs::create_dir_all(fx.repo.path("vendor")).expect("create vendor/");
    fs::rename(
        fx.repo.path("libs/narration-core"),
        fx.repo.path("vendor/narration-core"),
    )
    .expect("move narration-core");
    symlink(
        "../vendor/narration-core",
        fx.repo.path("libs/narration-core"),
    )
    .expect("symlink narration-core");
    fx.repo
        .commit("narration-core lives in vendor/, symlinked into libs/");
    fx.build(&["rbee-hive"]);
    assert_runs(&fx.exe("rbee-hive"), "mark=v1", "the first mark");

    fx.repo
        .replace("vendor/narration-core/src/lib.rs", MARK_V1, MARK_V2);
    let v = fx.status();
    assert_stale(
        &v,
        HIVE,
        "vendor/narration-core/src/lib.rs, the real path of the symlinked member \
         libs/narration-core, changed",
    );
    let exe = fx.ensure(&["rbee-hive"]);
    assert_runs(&exe, "mark=v2", "the new narration-core");
}

#[test]
fn manifest_path_through_a_symlinked_directory_sees_an_edit() {
    let fx = Fx::new();
    fx.build(&["rbee-hive"]);
    let link = fx.outside("link");
    symlink(fx.repo.root(), &link).expect("symlink the repository");
    let manifest = link.join("Cargo.toml");
    let manifest = manifest.to_str().expect("UTF-8");

    fx.repo.replace(NARRATION, MARK_V1, MARK_V2);
    let v = fx.status_at(fx.scratch.path(), &["--manifest-path", manifest], &[]);
    assert_stale(
        &v,
        HIVE,
        "libs/narration-core/src/lib.rs changed (asked with --manifest-path through a \
         symlink to the repository)",
    );
    let exe = fx.ensure_at(
        fx.scratch.path(),
        &["--manifest-path", manifest, "rbee-hive"],
        &[],
    );
    assert_runs(&exe, "mark=v2", "the edited narration-core");
}

// ---------------------------------------------------------------------------------------------
// 11.-12. Files in other targets' directories.

fn include_str_from_another_target_dir(rel: &str) {
    let fx = Fx::new();
    let from_src = format!("../{}", rel.strip_prefix("xtask/").expect("in xtask"));
    xtask_prints(&fx.repo, &format!("include_str!({from_src:?}).trim()"));
    fx.repo.write(rel, "data-v1\n");
    fx.repo.commit("xtask prints a data file");
    fx.build(&["xtask"]);
    assert_runs(&fx.exe("xtask"), "xtask: data-v1", "the first data");

    fx.repo.write(rel, "data-v2\n");
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        &format!("{rel}, read by its src/main.rs with include_str!, changed"),
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: data-v2", "the new data");
}

#[test]
fn include_str_of_a_file_under_examples_makes_stale() {
    include_str_from_another_target_dir("xtask/examples/data.txt");
}

#[test]
fn include_str_of_a_file_under_tests_fixtures_makes_stale() {
    include_str_from_another_target_dir("xtask/tests/fixtures/x.txt");
}

#[test]
fn path_attribute_into_another_bins_directory_makes_stale() {
    let fx = Fx::new();
    fx.repo.write(
        "bin/rbee-hive/src/bin/hive-check.rs",
        "#[path = \"hive-probe/util.rs\"]\nmod util;\n\nfn main() {\n    \
         println!(\"{}\", narration_core::narrate(\"hive-check\", \"ok\"));\n    \
         println!(\"{}\", util::probe());\n}\n",
    );
    fx.repo.commit("hive-check shares hive-probe's util module");
    fx.build(&["hive-check"]);
    assert_runs(
        &fx.exe("hive-check"),
        "[hive-probe] probing\n",
        "the first probe",
    );

    fx.repo.replace(
        "bin/rbee-hive/src/bin/hive-probe/util.rs",
        "\"probing\"",
        "\"probing v2\"",
    );
    let v = fx.status();
    assert_stale(
        &v,
        ("hive-check", "rbee-hive"),
        "src/bin/hive-probe/util.rs, its #[path] module, changed",
    );
    let exe = fx.ensure(&["hive-check"]);
    assert_runs(&exe, "[hive-probe] probing v2", "the new probe");
}

// ---------------------------------------------------------------------------------------------
// 13. A source that changed while cargo ran.

#[test]
fn source_edited_during_the_build_and_reverted_after_makes_stale() {
    let mut fx = Fx::new();
    xtask_prints(&fx.repo, "\"edition A\"");
    fx.repo.commit("xtask prints edition A");
    let main = fx.repo.path("xtask/src/main.rs");
    let a = fx.outside("A.rs");
    let b = fx.outside("B.rs");
    fs::copy(&main, &a).expect("save edition A");
    write_file(
        &b,
        "fn main() {\n    println!(\"xtask: {}\", \"edition B\");\n}\n",
    );

    // The first rustc run for xtask compiles edition B (written just before), and edition A is
    // back once rustc is done: as if the user saved B during the build and undid it after.
    let marker = fx.outside("wrapped");
    let wrapper = fx.outside("rustc-wrapper");
    let script = format!(
        "#!/bin/sh\ncase \" $* \" in\n  *\" --crate-name xtask \"*)\n    \
         if [ ! -e '{m}' ]; then\n      : > '{m}'\n      cp '{b}' '{f}'\n      \
         \"$@\"; status=$?\n      cp '{a}' '{f}'\n      exit $status\n    fi ;;\nesac\n\
         exec \"$@\"\n",
        m = marker.display(),
        a = a.display(),
        b = b.display(),
        f = main.display(),
    );
    write_file(&wrapper, &script);
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).expect("chmod wrapper");
    fx.set_env("RUSTC_WRAPPER", &wrapper);

    fx.build(&["xtask"]);
    assert!(marker.exists(), "the wrapper compiled xtask");
    assert_runs(
        &fx.exe("xtask"),
        "xtask: edition B",
        "edition B (what rustc read)",
    );
    assert_eq!(
        fs::read(&main).expect("read main.rs"),
        fs::read(&a).expect("read A"),
        "main.rs says edition A again"
    );

    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "its binary was compiled from edition B of xtask/src/main.rs, which was written during \
         the build and reverted to edition A after it",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: edition A", "edition A, the current source");
}

// ---------------------------------------------------------------------------------------------
// 14.-15. Where cargo puts things, and which configuration it reads.

#[test]
fn cargo_build_target_set_after_a_host_build_uses_the_triple_directory() {
    let fx = Fx::new();
    fx.build(&["llm-worker-rbee"]);
    let triple = host_triple();
    let env = [("CARGO_BUILD_TARGET", triple.as_str())];
    let under = fx
        .repo
        .workspace()
        .join("target")
        .join(&triple)
        .join("debug");

    fx.repo.replace(NARRATION, MARK_V1, MARK_V2);
    let v = fx.status_env(&env);
    assert_stale(
        &v,
        WORKER,
        "narration-core changed and CARGO_BUILD_TARGET is set now",
    );
    let exe = fx.ensure_env(&["llm-worker-rbee"], &env);
    assert!(
        exe.starts_with(&under),
        "with CARGO_BUILD_TARGET={triple}, ensure must hand out the binary cargo writes under \
         {}, not {}",
        under.display(),
        exe.display()
    );
    assert_runs(&exe, "mark=v2", "the edited narration-core");

    // An input only dep-info knows about (under target/<triple>/debug now).
    fx.repo
        .write("shared/prompts.txt", "A new prompt for the triple build.\n");
    let v = fx.status_env(&env);
    assert_stale(
        &v,
        WORKER,
        "shared/prompts.txt, which the worker includes, changed (CARGO_BUILD_TARGET build)",
    );
    let exe = fx.ensure_env(&["llm-worker-rbee"], &env);
    assert!(exe.starts_with(&under), "{}", exe.display());
    assert_runs(
        &exe,
        "prompt=\"A new prompt for the triple build.\"",
        "the new prompt",
    );
}

/// rbee-graph runs cargo in the workspace root, whatever directory it is asked from (README,
/// "What fresh means"), so the configuration cargo reads is the workspace root's and its
/// ancestors', the same for every caller. A `.cargo/config.toml` in a subdirectory the caller
/// stands in does not apply: asked from `tools/`, the binary built from the root is fresh, and
/// `ensure` hands it out without running cargo, built without that configuration.
#[test]
fn subdirectory_cargo_config_does_not_apply_since_cargo_runs_in_the_workspace_root() {
    let fx = Fx::new();
    fx.repo.write(
        "tools/.cargo/config.toml",
        "[env]\nRBEE_GREETING = \"hello from tools\"\n",
    );
    fx.repo.write("tools/README.md", "Scripts.\n");
    fx.repo.commit("tools/ has its own cargo configuration");
    let tools = fx.repo.path("tools");
    let manifest = fx.repo.path("Cargo.toml");
    let manifest = manifest.to_str().expect("UTF-8");
    // Built from tools/: cargo still runs in the root, without tools/.cargo.
    let exe = fx.ensure_at(
        &tools,
        &["--manifest-path", manifest, "llm-worker-rbee"],
        &[],
    );
    let out = run_exe(&exe);
    assert!(
        !out.contains("hello from tools"),
        "cargo ran in the workspace root, without tools/.cargo: {out}"
    );
    fx.clear_log();

    let v = fx.status_at(&tools, &["--manifest-path", manifest], &[]);
    assert_fresh(
        &v,
        WORKER,
        "the same configuration as its build, from any directory",
    );
    let v = fx.status();
    assert_fresh(&v, WORKER, "asked from the root");
    let again = fx.ensure_at(
        &tools,
        &["--manifest-path", manifest, "llm-worker-rbee"],
        &[],
    );
    assert_eq!(again, exe);
    assert!(fx.builds().is_empty(), "nothing to build: {:?}", fx.log());
}

// ---------------------------------------------------------------------------------------------
// 16.-19. What cargo does to the target directory.

#[test]
fn failed_build_leaves_untouched_binaries_fresh() {
    let fx = Fx::new();
    fx.build(&[]);
    let queen_lib = "bin/queen-rbee/src/lib.rs";
    let hive_readme = "bin/rbee-hive/README.md";
    let queen_original = fx.repo.read(queen_lib);
    // queen-rbee fails to compile; rbee-hive's package changed in a file cargo does not read,
    // so rbee-hive's binaries are in the same cargo run, fresh for cargo, and re-linked.
    fx.repo.append(queen_lib, "pub fn broken() { let = ; }\n");
    fx.repo.write(hive_readme, "The hive.\n");
    fx.clear_log();
    let run = fx.run(&["build"]);
    assert_eq!(
        run.code,
        Some(101),
        "the build fails, with cargo's status: {run:#?}"
    );

    fx.repo.write(queen_lib, &queen_original);
    fx.repo.remove(hive_readme);
    let v = fx.status();
    for (bin, package) in crate::util::RBEE_BINS {
        assert_fresh(
            &v,
            (bin, package),
            &format!(
                "its binary was not rebuilt and every edit is reverted (failed build; cargo \
                 ran {:?})",
                fx.builds()
            ),
        );
    }
}

#[test]
fn library_rebuilt_for_another_binary_then_restored_with_cp_p() {
    let fx = Fx::new();
    fx.build(&["rbee-hive"]);
    let lib = fx.repo.path(NARRATION);
    let saved = fx.repo.read(NARRATION);
    let saved_mtime = mtime(&lib);

    // narration-core v2 is compiled for the worker only.
    fx.repo.replace(NARRATION, MARK_V1, MARK_V2);
    fx.build(&["llm-worker-rbee"]);
    assert_runs(&fx.exe("llm-worker-rbee"), "mark=v2", "narration-core v2");

    // `cp -p` of the saved file: v1 content, v1 mtime (older than cargo's v2 fingerprint).
    fx.repo.write(NARRATION, &saved);
    set_mtime(&lib, saved_mtime);
    let exe = fx.ensure(&["rbee-hive"]);
    assert_runs(&exe, "mark=v1", "the original narration-core");

    // rbee-hive's own source changes: the rebuild must not link the v2 narration-core that
    // cargo still holds (it thinks v1's old mtime means nothing changed).
    fx.repo.replace(
        "bin/rbee-hive/src/main.rs",
        "    daemon_lifecycle::announce(\"rbee-hive\");\n",
        "    daemon_lifecycle::announce(\"rbee-hive\");\n    println!(\"hive edited\");\n",
    );
    let exe = fx.ensure(&["rbee-hive"]);
    let out = assert_runs(&exe, "hive edited", "the edited rbee-hive");
    assert!(
        out.contains("mark=v1"),
        "rebuilt rbee-hive must run the restored narration-core (mark=v1), not the v2 that was \
         compiled for llm-worker-rbee:\n{out}"
    );
}

/// A fixture with a second worktree `B` (branch `b`) outside the repository, both sharing one
/// `CARGO_TARGET_DIR`: the fixture, the shared target directory, B's root.
fn with_worktree_b() -> (Fx, PathBuf, PathBuf) {
    let mut fx = Fx::new();
    let shared = fx.outside("shared-target");
    fx.set_env("CARGO_TARGET_DIR", &shared);
    let b = fx.outside("worktree-b");
    fx.repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "b",
        b.to_str().expect("UTF-8"),
    ]);
    (fx, shared, b)
}

/// narration-core's mark becomes v2 in worktree `b`.
fn mark_v2_in(b: &Path) {
    let lib = b.join(NARRATION);
    let text = fs::read_to_string(&lib).expect("read B's narration-core");
    fs::write(&lib, text.replacen(MARK_V1, MARK_V2, 1)).expect("edit B");
}

#[test]
fn two_worktrees_sharing_a_target_dir_each_get_their_own_code() {
    let (fx, _, b) = with_worktree_b();
    mark_v2_in(&b);
    git_in(&b, &["commit", "-q", "-am", "mark v2 on b"]);

    let a = fx.repo.workspace();
    fx.build_at(&a, &["rbee-hive"], &[]);
    fx.build_at(&b, &["rbee-hive"], &[]);
    let from_b = fx.ensure_at(&b, &["rbee-hive"], &[]);
    assert_runs(&from_b, "mark=v2", "worktree B's code");

    let v = fx.status_at(&a, &[], &[]);
    assert_stale(
        &v,
        HIVE,
        "worktree B's build replaced the binary in the shared target directory",
    );
    let from_a = fx.ensure_at(&a, &["rbee-hive"], &[]);
    assert_runs(&from_a, "mark=v1", "worktree A's code");
    let from_b = fx.ensure_at(&b, &["rbee-hive"], &[]);
    assert_runs(&from_b, "mark=v2", "worktree B's code");
}

#[test]
fn plain_cargo_in_another_worktree_sharing_the_target_dir_is_not_taken_for_this_ones() {
    // Cargo hashes path packages by their path inside the workspace, so worktree B's
    // artifacts have the names worktree A's would have, and A's sources look older than them
    // (cargo#17312). B never went through rbee-graph: no record says whose they are.
    let (fx, shared, b) = with_worktree_b();
    let a = fx.repo.workspace();
    fx.build_at(&a, &["rbee-hive"], &[]);
    // Edited after A's build, so that cargo in B sees the change by mtime.
    mark_v2_in(&b);
    fx.plain_cargo_at(&b, &["build", "--bin", "rbee-hive"]);
    assert_runs(
        &shared.join("debug/rbee-hive"),
        "mark=v2",
        "worktree B's cargo build",
    );

    let v = fx.status_at(&a, &[], &[]);
    assert_stale(&v, HIVE, "cargo in worktree B replaced the binary");
    let b_lib = fs::metadata(b.join(NARRATION)).and_then(|m| m.modified());
    let from_a = fx.ensure_at(&a, &["rbee-hive"], &[]);
    assert_runs(&from_a, "mark=v1", "worktree A's code");
    assert_eq!(
        fs::metadata(b.join(NARRATION))
            .and_then(|m| m.modified())
            .ok(),
        b_lib.ok(),
        "A's build touches A's sources, never B's (B's cargo would rebuild for nothing)"
    );
}

#[test]
fn the_first_build_after_plain_cargo_in_another_worktree_is_fresh_afterwards() {
    // Worktree A was never built by rbee-graph; B's cargo left its paths in the dep-info. The
    // build makes A's own sources newer than B's artifacts, and must not then take its own
    // touch for an edit made during the build.
    let (fx, _, b) = with_worktree_b();
    mark_v2_in(&b);
    fx.plain_cargo_at(&b, &["build", "--bin", "rbee-hive"]);

    let a = fx.repo.workspace();
    let from_a = fx.ensure_at(&a, &["rbee-hive"], &[]);
    assert_runs(&from_a, "mark=v1", "worktree A's code");
    let v = fx.status_at(&a, &[], &[]);
    assert_fresh(&v, HIVE, "nothing changed since A's build");
}

#[test]
fn a_lock_file_that_cargo_rewrites_during_the_build_is_what_the_build_used() {
    // The real rbee ignores its lock file; cargo rewrites an out-of-date one as it resolves,
    // before it compiles anything.
    let fx = Fx::new();
    // An entry no package uses (a lock file copied from elsewhere): cargo drops it.
    crate::util::add_lock_entry(
        &fx.repo,
        "Cargo.lock",
        "name = \"zz-unused\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"0000000000000000000000000000000000000000000000000000000000000000\"\n",
    );
    let before = fx.repo.read("Cargo.lock");
    fx.build(&["rbee-hive"]);
    assert_ne!(
        fx.repo.read("Cargo.lock"),
        before,
        "cargo dropped the unused entry during the build"
    );
    let v = fx.status();
    assert_fresh(
        &v,
        HIVE,
        "the lock file is as cargo wrote it for this build",
    );
    // And the record holds its content, not "changed during the build" (which would send
    // every ensure down the slow path, and make a lock rewrite that changes an entry the
    // binary reaches look stale).
    let records = fx.repo.workspace().join("target/rbee-graph/records");
    let triple = fs::read_dir(&records)
        .expect("records")
        .flatten()
        .next()
        .expect("a triple")
        .path();
    let record: Value = serde_json::from_str(
        &fs::read_to_string(triple.join("dev/rbee-hive/rbee-hive.json")).expect("the record"),
    )
    .expect("JSON");
    let lock = fx.repo.workspace().join("Cargo.lock");
    assert_eq!(
        record["inputs"][lock.to_str().expect("UTF-8")]["content"]["kind"],
        "file",
        "{:#}",
        record["inputs"][lock.to_str().expect("UTF-8")]
    );
}

#[test]
fn same_named_binaries_each_ensure_runs_its_own_package() {
    let fx = Fx::with_repo(Repo::from_fixture("same-names"));
    let api = ("server", "api");
    let admin = ("server", "admin");

    let exe = fx.ensure(&["-p", "api", "server"]);
    assert_runs(&exe, "api server", "api's server");
    let exe = fx.ensure(&["-p", "admin", "server"]);
    assert_runs(&exe, "admin server", "admin's server");

    let v = fx.status();
    assert_stale(
        &v,
        api,
        "admin's server was built since, to the same target/debug/server",
    );
    let exe = fx.ensure(&["-p", "api", "server"]);
    assert_runs(&exe, "api server", "api's server after admin's");

    // Building both at once: an error or correct results, never one for the other.
    let _ = fx.run(&["build"]);
    for round in 0..2 {
        let exe = fx.ensure(&["-p", "api", "server"]);
        assert_runs(&exe, "api server", &format!("api's server (round {round})"));
        let exe = fx.ensure(&["-p", "admin", "server"]);
        assert_runs(
            &exe,
            "admin server",
            &format!("admin's server (round {round})"),
        );
    }
    let v = fx.status();
    assert_stale(&v, api, "the last ensure built admin's server over it");
    assert_fresh(&v, admin, "it was just ensured");
}

// ---------------------------------------------------------------------------------------------
// 20. `$CARGO_HOME` and the toolchain file.

/// A fixture with `CARGO_HOME` in the scratch directory, sharing the real registry through a
/// symlink (so nothing is downloaded and the real `CARGO_HOME` is not written to).
fn with_private_cargo_home() -> (Fx, PathBuf) {
    let mut fx = Fx::new();
    let real = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("a CARGO_HOME or HOME");
    let home = fx.outside("cargo-home");
    fs::create_dir_all(&home).expect("create CARGO_HOME");
    for dir in ["registry", "git"] {
        if real.join(dir).exists() {
            symlink(real.join(dir), home.join(dir)).expect("symlink the registry");
        }
    }
    fx.set_env("CARGO_HOME", &home);
    (fx, home)
}

#[test]
fn cargo_home_config_toml_change_makes_stale() {
    let (fx, home) = with_private_cargo_home();
    fx.build(&["llm-worker-rbee"]);
    write_file(
        &home.join("config.toml"),
        "[env]\nRBEE_GREETING = \"hello from CARGO_HOME\"\n",
    );
    let v = fx.status();
    assert_stale(
        &v,
        WORKER,
        "$CARGO_HOME/config.toml now sets [env] RBEE_GREETING",
    );
    let exe = fx.ensure(&["llm-worker-rbee"]);
    assert_runs(
        &exe,
        "hello from CARGO_HOME",
        "the greeting from CARGO_HOME",
    );
}

#[test]
fn cargo_home_legacy_config_file_change_makes_stale() {
    let (fx, home) = with_private_cargo_home();
    fx.build(&["llm-worker-rbee"]);
    // Cargo still reads `config` (no extension) when there is no `config.toml`.
    write_file(
        &home.join("config"),
        "[env]\nRBEE_GREETING = \"hello from legacy config\"\n",
    );
    let v = fx.status();
    assert_stale(
        &v,
        WORKER,
        "$CARGO_HOME/config (the legacy name) now sets [env] RBEE_GREETING",
    );
    let exe = fx.ensure(&["llm-worker-rbee"]);
    assert_runs(
        &exe,
        "hello from legacy config",
        "the greeting from $CARGO_HOME/config",
    );
}

#[test]
fn git_ignored_rust_toolchain_file_change_makes_stale() {
    // Through rustup's proxies, without RUSTUP_TOOLCHAIN (which would win over the file).
    let proxy_dir = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("a CARGO_HOME or HOME")
        .join("bin");
    let proxy = proxy_dir.join("cargo");
    let nightly = Command::new(proxy_dir.join("rustc"))
        .args(["+nightly", "-vV"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output();
    let (Ok(nightly), true) = (nightly, proxy.is_file()) else {
        // Not installed on CI either (it can reach crates.io only, not rustup's servers).
        skip("no rustup proxy or no nightly toolchain");
        return;
    };
    if !nightly.status.success() {
        skip("no nightly toolchain");
        return;
    }

    let repo = Repo::from_fixture("rbee");
    repo.append(".gitignore", "/rust-toolchain.toml\n");
    repo.write("rust-toolchain.toml", "[toolchain]\nchannel = \"stable\"\n");
    repo.commit("ignore rust-toolchain.toml");
    let mut fx = Fx::with_repo_and_cargo(repo, proxy.as_os_str());
    fx.remove_env("RUSTUP_TOOLCHAIN");
    fx.remove_env("RUSTC");
    fx.set_env("PATH", {
        let mut path = OsString::from(&proxy_dir);
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        path
    });
    fx.build(&["xtask"]);
    assert_fresh(&fx.status(), XTASK, "nothing changed since its build");

    fx.repo.write(
        "rust-toolchain.toml",
        "[toolchain]\nchannel = \"nightly\"\n",
    );
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "the git-ignored rust-toolchain.toml switched from stable to nightly",
    );
    fx.clear_log();
    fx.ensure(&["xtask"]);
    assert!(
        !fx.builds().is_empty(),
        "ensure handed out the stable build after the toolchain file switched to nightly"
    );
}

// ---------------------------------------------------------------------------------------------
// Others a user would hit.

#[test]
fn user_variable_named_like_a_cargo_one_read_with_option_env_makes_stale() {
    // Cargo sets PROFILE only for build scripts; for rustc it is the user's variable.
    let fx = Fx::new();
    xtask_prints(&fx.repo, "option_env!(\"PROFILE\").unwrap_or(\"unset\")");
    fx.repo.commit("xtask prints $PROFILE");
    fx.build_at(&fx.repo.workspace(), &["xtask"], &[("PROFILE", "alpha")]);
    assert_runs(&fx.exe("xtask"), "xtask: alpha", "PROFILE=alpha");

    let beta = [("PROFILE", "beta")];
    let v = fx.status_env(&beta);
    assert_stale(
        &v,
        XTASK,
        "PROFILE, read with option_env! and not set by cargo for rustc, changed from alpha to \
         beta",
    );
    let exe = fx.ensure_env(&["xtask"], &beta);
    assert_runs(&exe, "xtask: beta", "PROFILE=beta");
}

#[test]
fn skip_worktree_file_edited_makes_stale() {
    // Sparse checkouts and some tools set skip-worktree; git status then hides edits.
    let fx = Fx::new();
    xtask_prints(&fx.repo, "\"v1\"");
    fx.repo.commit("xtask prints v1");
    fx.build(&["xtask"]);
    fx.repo
        .git(&["update-index", "--skip-worktree", "xtask/src/main.rs"]);
    xtask_prints(&fx.repo, "\"v2\"");
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "xtask/src/main.rs (skip-worktree in the index) changed",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: v2", "the edited main.rs");
}

#[test]
fn line_endings_changed_under_a_text_attribute_make_stale() {
    // With `text`, git hashes the file after converting CRLF to LF: the blob id stays, but
    // the bytes include_str! reads do not.
    let fx = Fx::new();
    fx.repo.write(".gitattributes", "*.txt text\n");
    fx.repo.write("xtask/lines.txt", "one\ntwo\n");
    xtask_prints(
        &fx.repo,
        "if include_str!(\"../lines.txt\").contains('\\r') { \"crlf\" } else { \"lf\" }",
    );
    fx.repo
        .commit("xtask reports the line endings of a text file");
    fx.build(&["xtask"]);
    assert_runs(&fx.exe("xtask"), "xtask: lf", "LF line endings");

    fx.repo.write("xtask/lines.txt", "one\r\ntwo\r\n");
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "xtask/lines.txt, read with include_str!, now has CRLF line endings",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: crlf", "the CRLF file");
}

#[test]
fn deleted_include_str_target_recreated_with_other_content_makes_stale() {
    let fx = Fx::new();
    xtask_prints(&fx.repo, "include_str!(\"../banner.txt\").trim()");
    fx.repo.write("xtask/banner.txt", "banner-v1\n");
    fx.repo.commit("xtask prints a banner");
    fx.build(&["xtask"]);
    let banner = fx.repo.path("xtask/banner.txt");
    let old = mtime(&banner);

    fx.repo.remove("xtask/banner.txt");
    assert_stale(
        &fx.status(),
        XTASK,
        "xtask/banner.txt, read with include_str!, was deleted",
    );
    // Re-created with other content, and the old mtime (a restore from a backup).
    fx.repo.write("xtask/banner.txt", "banner-v2\n");
    set_mtime(&banner, old);
    let v = fx.status();
    assert_stale(
        &v,
        XTASK,
        "xtask/banner.txt was re-created with other content",
    );
    let exe = fx.ensure(&["xtask"]);
    assert_runs(&exe, "xtask: banner-v2", "the re-created banner");
}

#[test]
fn target_dir_in_cargo_home_config_is_where_binaries_and_records_go() {
    let (fx, home) = with_private_cargo_home();
    let elsewhere = fx.outside("home-target");
    write_file(
        &home.join("config.toml"),
        &format!(
            "[build]\ntarget-dir = {:?}\n",
            elsewhere.display().to_string()
        ),
    );
    let exe = fx.ensure(&["rbee-hive"]);
    assert_eq!(exe, elsewhere.join("debug/rbee-hive"), "where cargo put it");
    assert!(
        elsewhere.join("rbee-graph/records").is_dir(),
        "records beside it"
    );
    fx.clear_log();
    assert_eq!(fx.ensure(&["rbee-hive"]), exe);
    assert_eq!(
        fx.log(),
        Vec::<String>::new(),
        "a fresh ensure runs no cargo at all (not even `cargo metadata`)"
    );
}

#[test]
fn a_relative_cargo_target_dir_is_relative_to_where_the_user_stands() {
    let fx = Fx::new();
    let sub = fx.repo.workspace().join("bin/queen-rbee");
    let env = [("CARGO_TARGET_DIR", "tgt")];
    let exe = fx.ensure_at(&sub, &["queen-rbee"], &env);
    assert_eq!(
        exe,
        sub.join("tgt/debug/queen-rbee"),
        "as `cargo build` run there would put it"
    );
    assert!(sub.join("tgt/rbee-graph/records").is_dir());
    fx.clear_log();
    assert_eq!(fx.ensure_at(&sub, &["queen-rbee"], &env), exe);
    assert_eq!(
        fx.log(),
        Vec::<String>::new(),
        "a fresh ensure runs no cargo at all (not even `cargo metadata`)"
    );
}

#[test]
fn affected_with_head_head_runs_no_cargo_metadata_when_no_manifest_differs() {
    let fx = Fx::new();
    fx.repo.append(NARRATION, "\n// committed\n");
    fx.repo.commit("edit narration-core");
    fx.run(&["affected", "--base", "HEAD~1"]).success();
    fx.clear_log();
    let run = fx.run(&[
        "affected", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
    ]);
    let v: Value = serde_json::from_str(run.success()).expect("JSON");
    assert!(
        !v["affected_binaries"]
            .as_array()
            .expect("binaries")
            .is_empty(),
        "{v:#}"
    );
    assert_eq!(
        fx.log(),
        Vec::<String>::new(),
        "the head's graph is the working tree's (cached): no cargo metadata"
    );
}

// ---------------------------------------------------------------------------------------------
// The cached workspace: cargo's target discovery looks at what exists.

/// Whether status lists a binary `bin` of `package`.
fn lists(v: &Value, bin: &str, package: &str) -> bool {
    v["binaries"].as_array().is_some_and(|all| {
        all.iter()
            .any(|b| b["name"] == bin && b["package"] == package)
    })
}

#[test]
fn binaries_that_appear_or_vanish_on_disk_are_seen_through_the_cached_workspace() {
    let fx = Fx::new();
    let hive = "bin/rbee-hive/src/bin";
    assert!(lists(&fx.status(), "hive-probe", "rbee-hive"));
    let main = "fn main() {}\n";
    // A file in a target directory that exists, a directory with a main.rs in it, a target
    // directory that did not exist, a binary whose main.rs goes away.
    // What, the change, the binary, its package, whether it is listed afterwards.
    type Step<'a> = (&'a str, &'a dyn Fn(), &'a str, &'a str, bool);
    let steps: [Step; 4] = [
        (
            "src/bin/NAME.rs",
            &|| fx.repo.write(&format!("{hive}/hive-new.rs"), main),
            "hive-new",
            "rbee-hive",
            true,
        ),
        (
            "src/bin/NAME/main.rs",
            &|| fx.repo.write(&format!("{hive}/hive-dir/main.rs"), main),
            "hive-dir",
            "rbee-hive",
            true,
        ),
        (
            "a new src/bin",
            &|| fx.repo.write("bin/queen-rbee/src/bin/queen-new.rs", main),
            "queen-new",
            "queen-rbee",
            true,
        ),
        (
            "main.rs removed",
            &|| {
                fs::remove_file(fx.repo.path(&format!("{hive}/hive-probe/main.rs")))
                    .expect("remove")
            },
            "hive-probe",
            "rbee-hive",
            false,
        ),
    ];
    for (what, change, bin, package, listed) in steps {
        // Past the clock tick of the last `cargo metadata`, so the cache is trusted.
        std::thread::sleep(std::time::Duration::from_millis(60));
        fx.status();
        change();
        assert_eq!(
            lists(&fx.status(), bin, package),
            listed,
            "after {what}: status lists {bin} ({package}) as cargo would"
        );
    }
}

#[test]
fn saving_a_source_by_renaming_over_it_keeps_the_cached_workspace() {
    // Editors that save safely write a new file and rename it over the old one: the source
    // directory's stamp moves, no target appears or vanishes.
    let fx = Fx::new();
    fx.build(&["rbee-hive"]);
    std::thread::sleep(std::time::Duration::from_millis(60));
    fx.status();
    fx.clear_log();
    let lib = fx.repo.path(NARRATION);
    let text = fs::read_to_string(&lib).expect("read");
    let tmp = lib.with_extension("rs.swp");
    fs::write(&tmp, format!("{text}\n// saved\n")).expect("write");
    fs::rename(&tmp, &lib).expect("rename over");
    let v = fx.status();
    assert_stale(&v, HIVE, "narration-core was saved with an edit");
    assert_eq!(
        fx.log(),
        Vec::<String>::new(),
        "no target changed: the cached workspace holds, no `cargo metadata`"
    );
}
