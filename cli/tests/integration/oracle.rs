//! Test-only ground truth for local mode: a content oracle, a seeded random number generator,
//! and a laboratory that runs `rbee-graph` and plain cargo on a real copy of the `rbee`
//! fixture with a controlled environment. Used by `differential` and `faults`.
//!
//! The oracle remembers, per binary (and target triple), every input the binary really had
//! when it was last built (by `rbee-graph` or by plain cargo): each file in cargo's dep-info
//! `target[/<triple>]/debug/<bin>.d` wherever it lives (ignored, outside the repository, under
//! `.git/`, in a nested repository; read through symlinks; directories recursively), except
//! generated files in the target directory and registry sources; every `Cargo.toml` in the
//! repository and the manifests of the packages those files belong to; the `Cargo.lock`
//! entries of the external crates those packages reach through normal or build dependencies
//! (tracked or not); `.cargo/config(.toml)` and the toolchain files in the workspace and every
//! ancestor up to `/` and cargo's home; and the environment the laboratory sets (`RUSTFLAGS`
//! and [`Lab::env`]). A binary is *truly stale* when any of those differ from now. When a
//! build compiled other content than the file holds afterwards (an edit during the build, see
//! [`Oracle::compiled_instead`]), the oracle remembers the compiled content. Truth about
//! behaviour that the inputs cannot show (cargo linking an old library) is left to the
//! behaviour check, which runs the daemons.

#![cfg(unix)]
#![allow(dead_code)] // Not every user of the laboratory needs every helper.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use rbee_graph_testdata::{Repo, Rng, configure_git_env};
use serde_json::Value;

use crate::util::{BIN, RBEE_BINS, apply_env_policy, real_cargo};

// ---------------------------------------------------------------------------------------------
// Seeds (the generator is `rbee_graph_testdata::Rng`).

/// The seed in `var`, or one from the clock (printed by the caller, so any run can be
/// repeated).
pub fn seed_from_env(var: &str) -> u64 {
    // A fixed seed by default, so the test suite (and CI) is reproducible; `random` explores.
    const DEFAULT_SEED: u64 = 2024;
    match std::env::var(var).as_deref() {
        Err(_) => DEFAULT_SEED,
        Ok("random") => {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .expect("the clock is after 1970");
            now.as_nanos() as u64 ^ u64::from(std::process::id())
        }
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{var}={s:?} is not a number (or `random`): {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Dep-info and paths.

/// The files cargo's dep-info `path` lists (`target: dep dep ...`, spaces escaped as `\ `),
/// with `..` resolved lexically. `None` when there is no such file.
pub fn read_dep_info(path: &Path) -> Option<Vec<PathBuf>> {
    let text = fs::read_to_string(path).ok()?;
    let mut files = Vec::new();
    for line in text.lines() {
        let Some((_, deps)) = split_rule(line) else {
            continue;
        };
        let mut current = String::new();
        let mut chars = deps.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(next) => current.push(next),
                    None => current.push('\\'),
                },
                ' ' | '\t' => {
                    if !current.is_empty() {
                        files.push(normalize(Path::new(&current)));
                        current.clear();
                    }
                }
                c => current.push(c),
            }
        }
        if !current.is_empty() {
            files.push(normalize(Path::new(&current)));
        }
    }
    Some(files)
}

/// Splits `target: deps` at the first unescaped `: `.
fn split_rule(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b':'
            && (i + 1 == bytes.len() || bytes[i + 1] == b' ')
            && (i == 0 || bytes[i - 1] != b'\\')
        {
            return Some((&line[..i], line.get(i + 1..).unwrap_or("")));
        }
    }
    None
}

/// Resolves `.` and `..` without asking the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// What identifies a binary file: device, inode, size, mtime in nanoseconds.
pub type ExeId = (u64, u64, u64, i128);

pub fn exe_id(path: &Path) -> Option<ExeId> {
    let m = fs::metadata(path).ok()?;
    Some((
        m.dev(),
        m.ino(),
        m.size(),
        i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
    ))
}

/// Sets the mtime of `path` to `when`.
pub fn set_mtime(path: &Path, when: SystemTime) {
    let file = fs::File::options()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    file.set_modified(when)
        .unwrap_or_else(|e| panic!("set the mtime of {}: {e}", path.display()));
}

/// 2020-01-01, older than any fingerprint cargo writes in a test.
pub fn long_ago() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_836_800)
}

// ---------------------------------------------------------------------------------------------
// The laboratory: a fixture copy and the environment every process gets.

/// What one process did; stdout and stderr decoded lossily (the check that they are UTF-8 is
/// the caller's).
#[derive(Debug, Clone)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn from_output(out: Output) -> Out {
        Out {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn panicked(&self) -> bool {
        ["panicked", "stack backtrace", "RUST_BACKTRACE"]
            .iter()
            .any(|w| self.stderr.contains(w))
    }
}

/// A copy of the `rbee` fixture, the cargo that `rbee-graph` runs (the real one or a shim), and
/// the `RUSTFLAGS` every `rbee-graph` and cargo process gets.
pub struct Lab {
    pub repo: Repo,
    /// The repository root: `repo.root()`, or `<private dir>/repo` for
    /// [`Lab::in_private_dir`].
    root: PathBuf,
    pub cargo: OsString,
    pub rustflags: Option<String>,
    /// More environment variables for every process (after the ones removed below).
    pub env: BTreeMap<String, String>,
    /// `CARGO_BUILD_TARGET` for every process: binaries then live in `target/<triple>/debug/`.
    pub build_target: Option<String>,
}

/// Variables that change what cargo builds, removed from every process unless the laboratory
/// sets them.
const CONTROLLED_ENV: &[&str] = &[
    "CARGO_BUILD_TARGET",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTFLAGS",
    "RBEE_CONFIG_ENV",
];

impl Lab {
    pub fn new(repo: Repo) -> Lab {
        let root = repo.root().to_owned();
        Lab {
            repo,
            root,
            cargo: real_cargo(),
            rustflags: None,
            env: BTreeMap::new(),
            build_target: None,
        }
    }

    /// A copy of the fixture `name` as the git repository `<dir>/repo`, where `<dir>` is a
    /// private temporary directory: the test may put files next to the repository (a path
    /// dependency outside it, a `.cargo/config.toml` above it, another worktree).
    pub fn in_private_dir(name: &str) -> Lab {
        let repo = Repo::from_fixture_in(name, "repo");
        let outer = repo.root().to_owned();
        // `from_fixture_in` made `<dir>` the repository; make `<dir>/repo` the repository.
        fs::remove_dir_all(outer.join(".git")).expect("remove the outer .git");
        fs::remove_file(outer.join("README.md")).expect("remove the outer README.md");
        let mut lab = Lab::new(repo);
        lab.root = outer.join("repo");
        lab.git(&["-c", "init.defaultBranch=main", "init", "-q", "-b", "main"]);
        lab.commit("initial");
        lab
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory that holds the repository.
    pub fn outer(&self) -> &Path {
        self.root.parent().expect("the repository has a parent")
    }

    /// The absolute path of `rel` (relative to the repository root; may start with `../`).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        let path = self.path(rel);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Replaces the only occurrence of `from` in `rel` with `to`.
    pub fn replace(&self, rel: &str, from: &str, to: &str) {
        let old = self.read(rel);
        assert_eq!(old.matches(from).count(), 1, "{from:?} in {rel}");
        self.write(rel, &old.replacen(from, to, 1));
    }

    /// Runs git with `args` in the repository; its trimmed stdout. Panics if git fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.try_git(args);
        assert!(out.code == Some(0), "git {args:?} failed: {out:#?}");
        out.stdout.trim().to_owned()
    }

    /// Stages everything and commits it.
    pub fn commit(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
    }

    /// The target directory of binaries: `target/debug` or `target/<triple>/debug`.
    pub fn bin_dir(&self) -> PathBuf {
        match &self.build_target {
            Some(t) => self.root.join("target").join(t).join("debug"),
            None => self.root.join("target/debug"),
        }
    }

    fn environment(&self, cmd: &mut Command) {
        apply_env_policy(cmd, self.root.parent()).env("CARGO", &self.cargo);
        for var in CONTROLLED_ENV {
            cmd.env_remove(var);
        }
        match &self.rustflags {
            Some(flags) => cmd.env("RUSTFLAGS", flags),
            None => cmd.env_remove("RUSTFLAGS"),
        };
        if let Some(t) = &self.build_target {
            cmd.env("CARGO_BUILD_TARGET", t);
        }
        cmd.envs(&self.env);
        cmd.current_dir(self.repo.workspace()).stdin(Stdio::null());
    }

    /// Plain cargo with `args` in another checkout `dir` whose target directory is this
    /// repository's (`CARGO_TARGET_DIR`), with the same environment otherwise.
    pub fn cargo_in(&self, dir: &Path, args: &[&str]) -> Out {
        let mut cmd = Command::new(real_cargo());
        self.environment(&mut cmd);
        cmd.env("CARGO_TARGET_DIR", self.root.join("target"))
            .env("GIT_CEILING_DIRECTORIES", self.outer())
            .current_dir(dir)
            .args(args);
        Out::from_output(cmd.output().expect("run cargo"))
    }

    /// `rbee-graph ARGS`, not yet started.
    pub fn rbee_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        self.environment(&mut cmd);
        cmd.args(args);
        cmd
    }

    /// Runs `rbee-graph ARGS`.
    pub fn rbee(&self, args: &[&str]) -> Out {
        let out = self
            .rbee_command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
        Out::from_output(out)
    }

    /// Runs the real cargo (not the shim) with `args`, as a user would.
    pub fn cargo(&self, args: &[&str]) -> Out {
        let mut cmd = Command::new(real_cargo());
        self.environment(&mut cmd);
        cmd.args(args);
        Out::from_output(cmd.output().expect("run cargo"))
    }

    /// Runs git with `args`; returns whether it succeeded (and its output).
    pub fn try_git(&self, args: &[&str]) -> Out {
        let mut cmd = Command::new("git");
        configure_git_env(&mut cmd);
        cmd.args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null());
        Out::from_output(cmd.output().expect("run git"))
    }

    /// `rbee-graph status --format json`: `bin -> (fresh, reasons)`. Panics unless it succeeds.
    pub fn status(&self) -> BTreeMap<String, (bool, String)> {
        let out = self.rbee(&["status", "--format", "json"]);
        assert!(
            out.code == Some(0) && !out.panicked(),
            "rbee-graph status failed: {out:#?}"
        );
        let v: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("status is not JSON ({e}): {out:#?}"));
        let mut map = BTreeMap::new();
        for b in v["binaries"].as_array().expect("binaries") {
            let name = b["name"].as_str().expect("name").to_owned();
            let fresh = b["fresh"].as_bool().expect("fresh");
            let reasons = b["reasons"].to_string();
            assert!(
                map.insert(name.clone(), (fresh, reasons)).is_none(),
                "{name} listed twice: {v:#}"
            );
        }
        let listed: BTreeSet<&str> = map.keys().map(String::as_str).collect();
        let all: BTreeSet<&str> = RBEE_BINS.iter().map(|(b, _)| *b).collect();
        assert_eq!(listed, all, "status lists every binary: {v:#}");
        map
    }

    pub fn exe(&self, bin: &str) -> PathBuf {
        self.bin_dir().join(bin)
    }

    pub fn dep_info(&self, bin: &str) -> PathBuf {
        self.bin_dir().join(format!("{bin}.d"))
    }

    /// Every record file of the dev profile.
    pub fn record_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.path("target/rbee-graph/records")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    /// Runs a built daemon without `RBEE_GRAPH` (so it spawns nothing); its stdout, or `None`
    /// when it is missing or fails.
    pub fn run_daemon(&self, bin: &str) -> Option<String> {
        let mut cmd = Command::new(self.exe(bin));
        let out = apply_env_policy(&mut cmd, self.root.parent())
            .stdin(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// What the sources say the daemons must print now (a behaviour oracle that does not
    /// depend on cargo or on the content oracle): `(bin, substrings)`.
    pub fn expected_behaviour(&self) -> Vec<(&'static str, Vec<String>)> {
        let mark = const_value(&self.read("libs/narration-core/src/lib.rs"), "MARK");
        let label = fn_literal(&self.read("libs/build-info/src/lib.rs"));
        let prompt = fs::read_to_string(self.path("shared/prompts.txt"))
            .ok()
            .map(|p| p.lines().next().unwrap_or("").to_owned());
        let mut v = Vec::new();
        if let Some(mark) = &mark {
            for bin in ["rbee-keeper", "queen-rbee", "rbee-hive"] {
                v.push((bin, vec![format!("mark={mark}")]));
            }
            let mut worker = vec![format!("mark={mark}")];
            if let Some(prompt) = &prompt {
                worker.push(format!("prompt={prompt:?}"));
            }
            if let Some(label) = &label {
                worker.push(label.clone());
            }
            let data = self.path(DATA_DIR);
            if data.is_dir() {
                worker.push(format!("data={}", data_listing(&data)));
            }
            v.push(("llm-worker-rbee", worker));
        }
        // The lines the differential test's fixture preparation adds (see [`EXTRA_PRINTS`]).
        for (bin, key, printer, value) in EXTRA_PRINTS {
            let prints = fs::read_to_string(self.path(printer))
                .is_ok_and(|s| s.contains(&format!("\"{key}={{:?}}\"")));
            if !prints {
                continue;
            }
            let value = match value {
                Source::Const(file, name) => const_value(
                    &fs::read_to_string(self.path(file)).unwrap_or_default(),
                    name,
                )
                .unwrap_or_default(),
                Source::FirstLine(file) => fs::read_to_string(self.path(file))
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            };
            let want = format!("{key}={value:?}");
            match v.iter_mut().find(|(b, _)| b == bin) {
                Some((_, wants)) => wants.push(want),
                None => v.push((bin, vec![want])),
            }
        }
        v
    }
}

/// Where a value a daemon prints comes from.
pub enum Source {
    /// `pub const NAME: &str = "...";` in a file.
    Const(&'static str, &'static str),
    /// The first line of a file (read through symlinks).
    FirstLine(&'static str),
}

/// `(bin, key, file that prints it, value)`: a daemon whose `file` contains
/// `"KEY={:?}"` prints `KEY=<value, Debug-formatted>`.
pub const EXTRA_PRINTS: &[(&str, &str, &str, Source)] = &[
    (
        "rbee-keeper",
        "outside",
        "bin/rbee-keeper/src/main.rs",
        Source::Const("../outside-dep/src/lib.rs", "OUTSIDE"),
    ),
    (
        "rbee-keeper",
        "linked",
        "bin/rbee-keeper/src/main.rs",
        Source::FirstLine("shared/linked.txt"),
    ),
    (
        "queen-rbee",
        "nested",
        "bin/queen-rbee/src/main.rs",
        Source::Const("nested/src/lib.rs", "NESTED"),
    ),
    (
        "rbee-hive",
        "notes",
        "bin/rbee-hive/src/main.rs",
        Source::FirstLine("local/notes.txt"),
    ),
    (
        "llm-worker-rbee",
        "input",
        "bin/llm-worker-rbee/src/worker.rs",
        Source::FirstLine("local/build-input.txt"),
    ),
    (
        "llm-worker-rbee",
        "head",
        "bin/llm-worker-rbee/src/worker.rs",
        Source::FirstLine(".git/HEAD"),
    ),
];

/// The directory the worker's build script reads when [`WORKER_DATA_BUILD_RS`] is installed.
pub const DATA_DIR: &str = "bin/llm-worker-rbee/data";

/// A build script for `llm-worker-rbee` that also reads every file of `data/` (declared with
/// `rerun-if-changed=data`) and writes their names and sizes into the binary, which the worker
/// prints as `data=...` once [`install_worker_data`] changed it.
pub const WORKER_DATA_BUILD_RS: &str = r#"use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=data");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("label.rs");
    let label = build_info::label();
    let mut data: Vec<(String, usize)> = fs::read_dir("data")
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, fs::read(e.path()).map(|b| b.len()).unwrap_or(0))
                })
                .collect()
        })
        .unwrap_or_default();
    data.sort();
    let data = format!("{data:?}");
    fs::write(
        out,
        format!("pub const LABEL: &str = {label:?};\npub const DATA: &str = {data:?};\n"),
    )
    .expect("write label.rs");
}
"#;

/// Makes the worker's build script read `data/` and the worker print it (see
/// [`WORKER_DATA_BUILD_RS`]); the caller commits.
pub fn install_worker_data(repo: &Lab) {
    repo.write("bin/llm-worker-rbee/build.rs", WORKER_DATA_BUILD_RS);
    repo.write(&format!("{DATA_DIR}/seed.txt"), "seed\n");
    repo.replace(
        "bin/llm-worker-rbee/src/worker.rs",
        "    println!(\"{}\", llm_worker_rbee::describe());\n",
        "    println!(\"{}\", llm_worker_rbee::describe());\n    println!(\"data={}\", llm_worker_rbee::DATA);\n",
    );
}

/// What the worker built with [`WORKER_DATA_BUILD_RS`] prints after `data=` for `dir` now.
pub fn data_listing(dir: &Path) -> String {
    let mut data: Vec<(String, usize)> = fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, fs::read(e.path()).map(|b| b.len()).unwrap_or(0))
                })
                .collect()
        })
        .unwrap_or_default();
    data.sort();
    format!("{data:?}")
}

/// The value of `pub const NAME: &str = "...";` in `source`.
pub fn const_value(source: &str, name: &str) -> Option<String> {
    let prefix = format!("pub const {name}: &str = \"");
    let line = source.lines().find(|l| l.starts_with(&prefix))?;
    let rest = &line[prefix.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The first string literal on a line of its own (build-info's label).
fn fn_literal(source: &str) -> Option<String> {
    let line = source.lines().find(|l| l.trim_start().starts_with('"'))?;
    let t = line.trim();
    Some(t.trim_matches('"').to_owned())
}

// ---------------------------------------------------------------------------------------------
// The content oracle.

/// Every input of a binary, by key (`file:`, `manifest:`, `lock:`, `config:`, `env:`), with its
/// content (`None`: absent). Paths in keys are repository-relative inside the repository,
/// absolute outside it.
pub type Inputs = BTreeMap<String, Option<Vec<u8>>>;

/// Who built a binary last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builder {
    RbeeGraph,
    Cargo,
    /// A build in another checkout sharing the target directory: the binary is not this
    /// repository's, whatever its inputs say.
    Foreign,
}

/// What the oracle knows about one binary's last build.
#[derive(Clone, Debug)]
pub struct Built {
    /// The files of its dep-info (outside the target directory and cargo's home), absolute.
    pub files: Vec<PathBuf>,
    /// The manifests cargo read for it, absolute: every `Cargo.toml` of the repository and
    /// the manifests of the packages its files belong to.
    pub manifests: Vec<PathBuf>,
    /// The manifests of the packages its files belong to: their external dependencies are
    /// the lock entries it reads.
    pub packages: Vec<PathBuf>,
    /// The inputs' content at that build.
    pub inputs: Inputs,
    pub by: Builder,
    /// The binary file right after that build.
    pub exe: Option<ExeId>,
}

/// Names of the configuration files cargo and rustup read in the working directory and each
/// ancestor.
const CONFIG_FILES: &[&str] = &[
    ".cargo/config.toml",
    ".cargo/config",
    "rust-toolchain.toml",
    "rust-toolchain",
];

#[derive(Default)]
pub struct Oracle {
    /// By [`Oracle::key`]: the binary, under the target triple it was built for.
    pub built: BTreeMap<String, Built>,
    /// Content a build really compiled for a file although the file says otherwise now (an
    /// edit during the build, undone with the old mtime): applied by the next
    /// [`Oracle::record`] calls, until cleared.
    pub compiled_instead: Option<(PathBuf, Vec<u8>)>,
}

/// The directory cargo keeps registry and git sources in.
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/nonexistent-cargo-home"))
}

impl Oracle {
    /// The key of `bin` as the laboratory builds it now (`bin`, or `<triple>/bin`).
    pub fn key(lab: &Lab, bin: &str) -> String {
        match &lab.build_target {
            Some(t) => format!("{t}/{bin}"),
            None => bin.to_owned(),
        }
    }

    /// The last build of `bin` as the laboratory builds it now.
    pub fn get(&self, lab: &Lab, bin: &str) -> Option<&Built> {
        self.built.get(&Oracle::key(lab, bin))
    }

    /// Remembers that `bin` was just built by `by`, from the world as it is now.
    pub fn record(&mut self, lab: &Lab, bin: &str, by: Builder) {
        self.record_checked_out_in(lab, bin, by, None);
    }

    /// Like `record`, for a binary this checkout built whose dep-info another checkout
    /// (`other`, sharing the target directory) rewrote: cargo writes the dep-info beside the
    /// binary on every build, also when it found the binary fresh and left it alone. Its files
    /// under `other` stand for this checkout's.
    pub fn record_checked_out_in(
        &mut self,
        lab: &Lab,
        bin: &str,
        by: Builder,
        other: Option<&Path>,
    ) {
        let root = lab.root();
        let target = root.join("target");
        let home = cargo_home();
        let mut deps = read_dep_info(&lab.dep_info(bin))
            .unwrap_or_else(|| panic!("{bin} was built but has no dep-info"));
        if let Some(other) = other {
            for file in &mut deps {
                if let Ok(rel) = file.strip_prefix(other) {
                    *file = root.join(rel);
                }
            }
        }
        let mut files = BTreeSet::new();
        let mut manifests = workspace_manifests(root);
        let mut packages = BTreeSet::new();
        for file in deps {
            if file.starts_with(&target) {
                continue; // Generated (OUT_DIR): follows from the other inputs.
            }
            if file.starts_with(home.join("registry")) || file.starts_with(home.join("git")) {
                continue; // Registry and git sources: covered by the lock entries.
            }
            if let Some(manifest) = owning_manifest(&file) {
                manifests.insert(manifest.clone());
                packages.insert(manifest);
            }
            files.insert(file);
        }
        let manifests: Vec<PathBuf> = manifests.into_iter().collect();
        let files: Vec<PathBuf> = files.into_iter().collect();
        let packages: Vec<PathBuf> = packages.into_iter().collect();
        let mut inputs = inputs(lab, &files, &manifests, &packages);
        if let Some((file, content)) = &self.compiled_instead
            && files.contains(file)
        {
            inputs.insert(file_key(root, file), Some(content.clone()));
        }
        self.built.insert(
            Oracle::key(lab, bin),
            Built {
                files,
                manifests,
                packages,
                inputs,
                by,
                exe: exe_id(&lab.exe(bin)),
            },
        );
    }

    /// `None` when `bin` is truly fresh; otherwise why not (never built, or the inputs that
    /// differ from its last build).
    pub fn truly_stale(&self, lab: &Lab, bin: &str) -> Option<String> {
        let Some(built) = self.get(lab, bin) else {
            return Some("never built".to_owned());
        };
        let now = inputs(lab, &built.files, &built.manifests, &built.packages);
        let differ: Vec<&String> = built
            .inputs
            .keys()
            .chain(now.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|k| built.inputs.get(*k) != now.get(*k))
            .collect();
        (!differ.is_empty()).then(|| format!("inputs differ: {differ:?}"))
    }
}

fn rel_string(rel: &Path) -> String {
    rel.to_string_lossy().replace('\\', "/")
}

/// `file:<path>`, repository-relative inside the repository, absolute outside it.
fn file_key(root: &Path, file: &Path) -> String {
    match file.strip_prefix(root) {
        Ok(rel) => format!("file:{}", rel_string(rel)),
        Err(_) => format!("file:{}", file.display()),
    }
}

/// Every `Cargo.toml` in the repository (outside `target/` and `.git/`), nested repositories
/// included: cargo reads the root manifest, every member's and every path dependency's.
fn workspace_manifests(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                if name != ".git" && !(dir == root && name == "target") {
                    stack.push(e.path());
                }
            } else if name == "Cargo.toml" {
                out.insert(e.path());
            }
        }
    }
    out
}

/// The manifest of the innermost package holding `file` (a `Cargo.toml` with a `[package]`
/// table), absolute.
fn owning_manifest(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent();
    while let Some(d) = dir {
        let manifest = d.join("Cargo.toml");
        if let Ok(text) = fs::read_to_string(&manifest)
            && text.lines().any(|l| l.trim() == "[package]")
        {
            return Some(manifest);
        }
        dir = d.parent();
    }
    None
}

/// The configuration files cargo and rustup read for a build in `cwd`: in `cwd` and every
/// ancestor up to `/`, and in cargo's home.
fn config_files(cwd: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in cwd.ancestors() {
        out.extend(CONFIG_FILES.iter().map(|c| dir.join(c)));
    }
    let home = cargo_home();
    out.push(home.join("config.toml"));
    out.push(home.join("config"));
    out
}

/// The inputs of a binary with these dep-info `files`, `manifests` and `packages`, now.
fn inputs(lab: &Lab, files: &[PathBuf], manifests: &[PathBuf], packages: &[PathBuf]) -> Inputs {
    let root = lab.root();
    let mut inputs = Inputs::new();
    for path in files {
        // Through symlinks: the bytes a read of the path gets.
        let content = if path.is_dir() {
            Some(directory_content(path))
        } else {
            fs::read(path).ok()
        };
        inputs.insert(file_key(root, path), content);
    }
    let mut externals = BTreeSet::new();
    for m in manifests {
        let text = fs::read(m).ok();
        if let Some(text) = &text
            && packages.contains(m)
        {
            externals.extend(external_dependencies(&String::from_utf8_lossy(text)));
        }
        let key = match m.strip_prefix(root) {
            Ok(rel) => rel_string(rel),
            Err(_) => m.display().to_string(),
        };
        inputs.insert(format!("manifest:{key}"), text);
    }
    // Tracked or not, ignored or not: cargo reads it.
    let lock = fs::read(lab.path("Cargo.lock"))
        .ok()
        .map(|l| String::from_utf8_lossy(&l).into_owned());
    let entries = lock.as_deref().map(lock_entries).unwrap_or_default();
    let mut queue: Vec<String> = externals.into_iter().collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mine: Vec<&(String, String, Vec<String>)> =
            entries.iter().filter(|(n, _, _)| *n == name).collect();
        let text: String = mine.iter().map(|(_, t, _)| t.as_str()).collect();
        for (_, _, deps) in &mine {
            queue.extend(deps.iter().cloned());
        }
        inputs.insert(
            format!("lock:{name}"),
            (!text.is_empty()).then(|| text.into_bytes()),
        );
    }
    for c in config_files(&lab.repo.workspace()) {
        let key = match c.strip_prefix(root) {
            Ok(rel) => rel_string(rel),
            Err(_) => c.display().to_string(),
        };
        inputs.insert(format!("config:{key}"), fs::read(&c).ok());
    }
    inputs.insert(
        "env:RUSTFLAGS".to_owned(),
        lab.rustflags.clone().map(String::into_bytes),
    );
    for (k, v) in &lab.env {
        inputs.insert(format!("env:{k}"), Some(v.clone().into_bytes()));
    }
    inputs
}

/// A directory's names (as bytes) and contents, recursively, in name order: what a build
/// script with `rerun-if-changed=DIR` may read.
fn directory_content(dir: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    let mut out = Vec::new();
    for entry in entries {
        out.extend_from_slice(entry.file_name().unwrap_or_default().as_bytes());
        out.push(0);
        let content = if entry.is_dir() {
            directory_content(&entry)
        } else {
            fs::read(&entry).unwrap_or_default()
        };
        out.extend_from_slice(&(content.len() as u64).to_le_bytes());
        out.extend_from_slice(&content);
    }
    out
}

/// The names of the non-path dependencies in the normal and build dependency tables of a
/// manifest (a small line parser: enough for the fixture's manifests).
fn external_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let table = line.trim_matches(|c| c == '[' || c == ']');
            in_deps = table == "dependencies"
                || table == "build-dependencies"
                || (table.starts_with("target.")
                    && (table.ends_with(".dependencies")
                        || table.ends_with(".build-dependencies")));
            continue;
        }
        if !in_deps || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if value.contains("path") {
            continue;
        }
        let name = name.trim().trim_matches('"');
        let name = name.split('.').next().unwrap_or(name);
        if !name.is_empty() {
            out.insert(name.to_owned());
        }
    }
    out
}

/// The `[[package]]` entries of a lock file: `(name, text, dependency names)`.
fn lock_entries(lock: &str) -> Vec<(String, String, Vec<String>)> {
    lock.split("[[package]]")
        .skip(1)
        .filter_map(|entry| {
            let name = entry
                .lines()
                .find_map(|l| l.strip_prefix("name = \""))?
                .trim_end_matches('"')
                .to_owned();
            let deps = match entry.find("dependencies = [") {
                Some(at) => {
                    let rest = &entry[at + "dependencies = [".len()..];
                    let list = &rest[..rest.find(']').unwrap_or(rest.len())];
                    list.split(',')
                        .filter_map(|d| {
                            let d = d.trim().trim_matches('"');
                            d.split_whitespace().next().map(str::to_owned)
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            Some((name, entry.to_owned(), deps))
        })
        .collect()
}

#[test]
fn oracle_parsers() {
    let dir = rbee_graph_testdata::tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("a.d");
    fs::write(
        &d,
        "/t/debug/a: /r/src/../../shared/p.txt /r/my\\ file.rs /r/src/main.rs\n",
    )
    .expect("write");
    assert_eq!(
        read_dep_info(&d).expect("parsed"),
        [
            PathBuf::from("/shared/p.txt"),
            PathBuf::from("/r/my file.rs"),
            PathBuf::from("/r/src/main.rs")
        ]
    );
    let manifest = "[package]\nname = \"x\"\n[dependencies]\nitoa = \"1\"\nlocal = { path = \"../l\" }\n\
                    [dev-dependencies]\nfastrand = \"2\"\n[build-dependencies]\ncc = { version = \"1\" }\n";
    let ext: Vec<String> = external_dependencies(manifest).into_iter().collect();
    assert_eq!(ext, ["cc", "itoa"]);
    let lock = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\n \"b\",\n \"c 1.0\",\n]\n\n[[package]]\nname = \"b\"\n";
    let entries = lock_entries(lock);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].2, ["b", "c"]);
    let mut rng = Rng::new(7);
    let a: Vec<u64> = (0..3).map(|_| rng.next()).collect();
    let mut rng = Rng::new(7);
    let b: Vec<u64> = (0..3).map(|_| rng.next()).collect();
    assert_eq!(a, b);
    assert_eq!(
        const_value("x\npub const MARK: &str = \"v9\";\n", "MARK"),
        Some("v9".to_owned())
    );
}

/// The oracle itself, on hand-made cases whose answer is known: it must see the inputs each
/// binary really has, and nothing else.
#[test]
fn oracle_sees_exactly_the_inputs_of_each_binary() {
    let mut lab = Lab::in_private_dir("rbee");
    let out = lab.rbee(&["build"]);
    assert_eq!(out.code, Some(0), "{out:#?}");
    let mut oracle = Oracle::default();
    let all: Vec<&str> = RBEE_BINS.iter().map(|(b, _)| *b).collect();
    for bin in &all {
        oracle.record(&lab, bin, Builder::RbeeGraph);
    }
    let stale = |lab: &Lab, oracle: &Oracle| -> Vec<String> {
        all.iter()
            .filter(|b| oracle.truly_stale(lab, b).is_some())
            .map(|b| (*b).to_owned())
            .collect()
    };
    let but_xtask: Vec<String> = all
        .iter()
        .filter(|b| **b != "xtask")
        .map(|b| (*b).to_owned())
        .collect();
    assert!(stale(&lab, &oracle).is_empty());

    // `None`: every binary (a file cargo reads for every build).
    let cases: &[(&str, &str, Option<&[&str]>)] = &[
        ("shared/prompts.txt", "Other.\n", Some(&["llm-worker-rbee"])),
        (
            "bin/llm-worker-rbee/build.rs",
            "// x\n",
            Some(&["llm-worker-rbee"]),
        ),
        ("libs/build-info/Cargo.toml", "# x\n", None),
        ("xtask/Cargo.toml", "# x\n", None),
        (
            "bin/rbee-hive/src/bin/hive-check.rs",
            "// x\n",
            Some(&["hive-check"]),
        ),
        (
            "libs/narration-core/tests/narration.rs",
            "// x\n",
            Some(&[]),
        ),
        ("libs/narration-core/README.md", "x\n", Some(&[])),
        ("shared/other.txt", "x\n", Some(&[])),
        (".cargo/config.toml", "[build]\n", None),
        ("../.cargo/config.toml", "[build]\n", None),
    ];
    for (rel, text, expected) in cases {
        let path = lab.path(rel);
        let before = fs::read(&path).ok();
        let mut now = before.clone().unwrap_or_default();
        now.extend_from_slice(text.as_bytes());
        fs::create_dir_all(path.parent().expect("a parent")).expect("create directories");
        fs::write(&path, now).expect("append");
        let got = stale(&lab, &oracle);
        match expected {
            None => assert_eq!(got, all, "{rel}"),
            Some(expected) => assert_eq!(got, *expected, "{rel}"),
        }
        match before {
            Some(b) => fs::write(&path, b).expect("restore"),
            None => fs::remove_file(&path).expect("remove"),
        }
        assert!(stale(&lab, &oracle).is_empty(), "{rel} restored");
    }

    let lock = lab.read("Cargo.lock");
    for (name, expected) in [
        ("itoa", but_xtask.clone()),
        ("cfg-if", vec!["llm-worker-rbee".to_owned()]),
        ("fastrand", vec![]),
    ] {
        let at = lock.find(&format!("name = \"{name}\"\n")).expect(name);
        let start = at + lock[at..].find("checksum = \"").expect("checksum") + 12;
        let mut edited = lock.clone();
        edited.replace_range(start..start + 4, "ffff");
        assert_ne!(edited, lock);
        lab.write("Cargo.lock", &edited);
        assert_eq!(stale(&lab, &oracle), expected, "{name}");
    }
    lab.write("Cargo.lock", &lock);
    assert!(stale(&lab, &oracle).is_empty());

    // A variable the laboratory sets is an input of every binary.
    lab.env.insert("RBEE_CONFIG_ENV".to_owned(), "x".to_owned());
    assert_eq!(stale(&lab, &oracle), all);
    lab.env.clear();
    assert!(stale(&lab, &oracle).is_empty());

    // Another target triple: other binaries, never built.
    lab.build_target = Some("x86_64-unknown-linux-gnu".to_owned());
    assert_eq!(stale(&lab, &oracle), all);
    lab.build_target = None;

    lab.rustflags = Some("-C debug-assertions=off".to_owned());
    assert_eq!(stale(&lab, &oracle), all);
}
