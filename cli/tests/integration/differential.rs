//! Randomized differential test of local mode: random sequences of edits, git operations,
//! configuration changes and builds (by `rbee-graph` and by plain cargo) on a real copy of the
//! `rbee` fixture; after every step `rbee-graph status` is compared with the content oracle
//! (see `oracle`) for every binary.
//!
//! - A "fresh" verdict for a truly stale binary, for a binary never built by rbee-graph, or for
//!   a binary that plain cargo (or a build in another worktree) relinked since, fails the test
//!   with the seed and the history.
//! - A fresh daemon must also behave like its sources say (the mark, the prompt, the label and
//!   the data listing it prints), which does not depend on the oracle at all.
//!
//! The fixture copy lives in `<private dir>/repo`, so files can sit next to it, and is changed
//! once first (`prepare`, before the `side` branch exists, so both branches have it):
//! - the worker's build script reads every file of `bin/llm-worker-rbee/data/`
//!   (`rerun-if-changed=data`), an ignored file `local/build-input.txt` and `.git/HEAD` (both
//!   `rerun-if-changed`), and the worker prints them; data files get odd names. Non-UTF-8
//!   names are only used with `RBEE_GRAPH_DIFF_NON_UTF8=1`, because of the known bug pinned by
//!   `hostile::bug_non_utf8_file_name_edited_after_the_build_is_called_fresh`;
//! - `.git/info/exclude` ignores `local/` and the workspace's `.cargo/`; rbee-hive
//!   `include_str!`s the ignored `local/notes.txt`;
//! - narration-core reads `RBEE_CONFIG_ENV` (`option_env!`, set by `[env]` in a config file)
//!   and `cfg!(rbee_cfg)` (set by `[build] rustflags`);
//! - rbee-keeper depends on `outside-dep`, a path dependency next to the repository, and
//!   `include_str!`s `shared/linked.txt`, a symlink to one of two files next to the repository;
//! - queen-rbee depends on `nested/`, a crate in a nested git repository (a workspace member);
//! - every process runs with a `RUSTC_WRAPPER` that, when armed, compiles other content for
//!   narration-core and then puts the file back with its old mtime (an edit during a build).
//!
//! Operations on those: edits of the ignored files, `Cargo.lock` untracked and ignored on both
//! branches (once) and lock entries bumped, the ignored `.cargo/config.toml` and one above the
//! repository written and removed, edits outside the repository, the symlink's target edited
//! or the symlink re-pointed, the nested crate edited, `CARGO_BUILD_TARGET=<host>` toggled,
//! the edit during a build, a shared library changed, one binary built and the old content
//! put back with `cp -p`, and builds in a second worktree next to the repository sharing the
//! target directory. Commits, checkouts and detaching change `.git/HEAD`.
//!
//! With `RBEE_GRAPH_DIFF_KEEP_GOING=1` wrong verdicts do not stop the run: each distinct one
//! (kind, binary, what differs) is listed at the end with the step and operation that first
//! showed it, and then the test fails. `RBEE_GRAPH_DIFF_OPS=A,B,...` restricts a run to those
//! operations. The summary also says, per operation, how many truly fresh binaries it made
//! truly stale and how many of those `status` still called fresh.
//! - A "stale" verdict for a binary that is truly fresh and was last built by rbee-graph is a
//!   false stale: counted, and the rate printed (visible with `--nocapture`).
//!
//! The normal run takes `RBEE_GRAPH_DIFF_STEPS` steps (default 100, about 11-16 s alone on two
//! cores; 300 steps about 45 s). The seed is fixed (2024) unless `RBEE_GRAPH_DIFF_SEED` is set
//! (a number, or `random`); it is printed at the start and in every failure. The long run:
//!
//! ```sh
//! RBEE_GRAPH_DIFF_STEPS=1000 cargo test -p rbee-graph --test integration differential -- --nocapture
//! ```

#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use rbee_graph_testdata::Rng;

use crate::oracle::{
    Builder, DATA_DIR, Lab, Oracle, exe_id, install_worker_data, long_ago, normalize,
    seed_from_env, set_mtime,
};
use crate::util::RBEE_BINS;

const STEPS_VAR: &str = "RBEE_GRAPH_DIFF_STEPS";
/// Set to 1 to also give data files non-UTF-8 names (off by default: see
/// `hostile::bug_non_utf8_file_name_edited_after_the_build_is_called_fresh`).
const NON_UTF8_VAR: &str = "RBEE_GRAPH_DIFF_NON_UTF8";
const SEED_VAR: &str = "RBEE_GRAPH_DIFF_SEED";
/// A comma-separated list of operations (as printed) to restrict a run to.
const OPS_VAR: &str = "RBEE_GRAPH_DIFF_OPS";
/// Set to 1 to go on after a wrong verdict and list every distinct one at the end.
const KEEP_GOING_VAR: &str = "RBEE_GRAPH_DIFF_KEEP_GOING";
const DEFAULT_STEPS: usize = 100;

/// Sources every binary build compiles (all of them stay valid Rust after any edit below).
const SOURCES: &[&str] = &[
    "libs/narration-core/src/lib.rs",
    "libs/narration-core/src/fmt.rs",
    "libs/daemon-lifecycle/src/lib.rs",
    "libs/job-server/src/lib.rs",
    "libs/hive-lifecycle/src/lib.rs",
    "libs/build-info/src/lib.rs",
    "libs/test-harness/src/lib.rs",
    "bin/queen-rbee/src/lib.rs",
    "bin/queen-rbee/src/main.rs",
    "bin/rbee-hive/src/lib.rs",
    "bin/rbee-hive/src/main.rs",
    "bin/rbee-hive/src/bin/hive-check.rs",
    "bin/rbee-hive/src/bin/hive-probe/main.rs",
    "bin/rbee-hive/src/bin/hive-probe/util.rs",
    "bin/rbee-keeper/src/main.rs",
    "bin/llm-worker-rbee/src/lib.rs",
    "bin/llm-worker-rbee/src/worker.rs",
    "xtask/src/main.rs",
];

const MANIFESTS: &[&str] = &[
    "libs/narration-core/Cargo.toml",
    "libs/daemon-lifecycle/Cargo.toml",
    "libs/job-server/Cargo.toml",
    "libs/hive-lifecycle/Cargo.toml",
    "libs/build-info/Cargo.toml",
    "libs/test-harness/Cargo.toml",
    "bin/queen-rbee/Cargo.toml",
    "bin/rbee-hive/Cargo.toml",
    "bin/rbee-keeper/Cargo.toml",
    "bin/llm-worker-rbee/Cargo.toml",
    "xtask/Cargo.toml",
];

/// Files of tests, examples and benches (`benches/throughput.rs` is declared in the manifest,
/// so it is edited but never deleted).
const TEST_FILES: &[&str] = &[
    "libs/narration-core/tests/narration.rs",
    "libs/narration-core/examples/demo.rs",
    "libs/narration-core/benches/throughput.rs",
];

/// Files outside every package, or in a package but read by no build.
const OTHER_FILES: &[&str] = &[
    "README.md",
    "docs/guide.md",
    "LICENSE",
    ".github/workflows/ci.yml",
    "Cargo.toml",
    "libs/narration-core/README.md",
];

/// Where new files go: `(directory, extension, content)`.
const NEW_FILE_PLACES: &[(&str, &str, &str)] = &[
    (
        "libs/job-server/src",
        "rs",
        "// not a module of the crate\n",
    ),
    ("bin/queen-rbee", "txt", "data\n"),
    (
        "libs/narration-core/tests",
        "rs",
        "#[test]\nfn added() {}\n",
    ),
    ("libs/narration-core/examples", "rs", "fn main() {}\n"),
    ("shared", "txt", "read by nobody\n"),
    ("", "txt", "notes\n"),
    ("docs", "md", "# more docs\n"),
    ("bin/llm-worker-rbee", "txt", "next to build.rs\n"),
];

const RUSTFLAGS: &str = "-C debug-assertions=off";
const CARGO_CONFIG: &str = ".cargo/config.toml";

#[derive(Clone, Copy, Debug)]
enum Op {
    EditSource,
    EditManifest,
    EditPrompts,
    EditBuildScript,
    EditTests,
    EditOther,
    AddFile,
    DeleteFile,
    RenameFile,
    Touch,
    Revert,
    RestoreOldMtime,
    DataFile,
    Commit,
    Amend,
    Checkout,
    Detach,
    Stash,
    Pop,
    LockBump,
    CargoConfig,
    Rustflags,
    RbeeBuild,
    CargoBuild,
    EditIgnored,
    IgnoreLock,
    ConfigEnv,
    EditOutside,
    Symlink,
    EditNested,
    BuildTarget,
    EditDuringBuild,
    CopyPreserving,
    Worktree,
}

const WEIGHTS: &[(Op, usize)] = &[
    (Op::EditSource, 14),
    (Op::EditManifest, 3),
    (Op::EditPrompts, 5),
    (Op::EditBuildScript, 3),
    (Op::EditTests, 4),
    (Op::EditOther, 4),
    (Op::AddFile, 5),
    (Op::DeleteFile, 3),
    (Op::RenameFile, 3),
    (Op::Touch, 3),
    (Op::Revert, 5),
    (Op::RestoreOldMtime, 6),
    (Op::DataFile, 6),
    (Op::Commit, 5),
    (Op::Amend, 2),
    (Op::Checkout, 4),
    (Op::Detach, 1),
    (Op::Stash, 2),
    (Op::Pop, 2),
    (Op::LockBump, 3),
    (Op::CargoConfig, 2),
    (Op::Rustflags, 2),
    (Op::RbeeBuild, 13),
    (Op::CargoBuild, 7),
    (Op::EditIgnored, 3),
    (Op::IgnoreLock, 1),
    (Op::ConfigEnv, 2),
    (Op::EditOutside, 2),
    (Op::Symlink, 2),
    (Op::EditNested, 2),
    (Op::BuildTarget, 1),
    (Op::EditDuringBuild, 1),
    (Op::CopyPreserving, 2),
    (Op::Worktree, 1),
];

#[derive(Default, Debug)]
struct Stats {
    statuses: usize,
    verdicts: usize,
    truly_stale: usize,
    /// Truly fresh, last built by rbee-graph: the verdicts that can be false stale.
    truly_fresh: usize,
    false_stale: usize,
    /// Stale by definition: never built by rbee-graph, or relinked by plain cargo since.
    by_definition: usize,
    /// "Fresh" verdicts for stale binaries (only with `KEEP_GOING_VAR=1` can this be > 0).
    wrong_fresh: usize,
    rbee_builds: usize,
    cargo_builds: usize,
    cargo_relinks: usize,
    behaviour_checks: usize,
    ops: BTreeMap<String, usize>,
    /// By operation: truly fresh binaries it made truly stale, `(called stale, called fresh)`.
    made_stale: BTreeMap<String, (usize, usize)>,
    false_stale_examples: BTreeMap<String, usize>,
}

struct Sim {
    lab: Lab,
    rng: Rng,
    oracle: Oracle,
    seed: u64,
    steps: usize,
    step: usize,
    history: Vec<String>,
    /// Every file this test created (it may exist or not now).
    added: Vec<String>,
    /// Earlier contents of files this test changed.
    versions: BTreeMap<String, Vec<Vec<u8>>>,
    counter: u64,
    stats: Stats,
    /// `KEEP_GOING_VAR=1`: record wrong verdicts and go on; fail at the end.
    keep_going: bool,
    /// The operation of the current step.
    op: String,
    findings: Vec<Finding>,
    /// `(kind, binary, why)` already reported -> how often seen since.
    seen_wrong: BTreeMap<(String, String, String), usize>,
    /// Whether `Cargo.lock` is untracked and ignored on both branches now.
    lock_ignored: bool,
    /// A second worktree of the repository (detached), next to it, once created.
    worktree: Option<PathBuf>,
    /// The host's target triple (for `CARGO_BUILD_TARGET`).
    host: String,
    /// The binaries (oracle keys) truly fresh at the last check, last built by rbee-graph.
    was_fresh: BTreeSet<String>,
}

/// A wrong verdict (or a wrong binary), with the step and operation that first showed it.
struct Finding {
    kind: &'static str,
    step: usize,
    op: String,
    bin: String,
    msg: String,
}

#[test]
fn differential_status_never_says_fresh_for_a_truly_stale_binary() {
    let steps = std::env::var(STEPS_VAR)
        .ok()
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|e| panic!("{STEPS_VAR}={s:?}: {e}"))
        })
        .unwrap_or(DEFAULT_STEPS);
    let seed = seed_from_env(SEED_VAR);
    eprintln!("differential: seed {seed}, {steps} steps ({SEED_VAR}={seed} {STEPS_VAR}={steps})");
    let started = Instant::now();
    let mut sim = Sim::new(seed, steps);
    sim.check("before any build");
    sim.step = 1;
    sim.rbee_build(&["build"], RBEE_BINS.iter().map(|(b, _)| *b).collect());
    sim.check("after the first build");
    for step in 2..=steps {
        sim.step = step;
        let op = sim.choose();
        sim.op = format!("{op:?}");
        *sim.stats.ops.entry(format!("{op:?}")).or_default() += 1;
        sim.apply(op);
        sim.check(&format!("after step {step} ({op:?})"));
    }
    let s = &sim.stats;
    let rate = if s.truly_fresh == 0 {
        0.0
    } else {
        100.0 * s.false_stale as f64 / s.truly_fresh as f64
    };
    eprintln!(
        "differential: seed {seed}, {steps} steps in {:.1?}: {} statuses, {} verdicts; \
         {} fresh verdicts for stale binaries ({} truly stale verdicts checked); \
         false stale {}/{} truly fresh rbee-graph builds = {rate:.1}%; \
         {} stale by definition (never built by rbee-graph, or relinked by cargo); \
         {} rbee-graph builds, {} cargo builds ({} relinked a binary); {} behaviour checks",
        started.elapsed(),
        s.statuses,
        s.verdicts,
        s.wrong_fresh,
        s.truly_stale,
        s.false_stale,
        s.truly_fresh,
        s.by_definition,
        s.rbee_builds,
        s.cargo_builds,
        s.cargo_relinks,
        s.behaviour_checks,
    );
    eprintln!("differential: operations: {:?}", s.ops);
    eprintln!(
        "differential: truly fresh binaries made truly stale, by operation (called stale / \
         called fresh): {}",
        s.made_stale
            .iter()
            .map(|(op, (caught, missed))| format!("{op} {caught}/{missed}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !s.false_stale_examples.is_empty() {
        eprintln!("differential: false stale reasons (first reason, count):");
        for (why, n) in &s.false_stale_examples {
            eprintln!("  {n:4}  {why}");
        }
    }
    sim.report_findings();
}

impl Sim {
    fn new(seed: u64, steps: usize) -> Sim {
        let mut lab = Lab::in_private_dir("rbee");
        prepare(&mut lab);
        // A second branch that differs in what the binaries print and in an unowned file.
        lab.git(&["checkout", "-q", "-b", "side"]);
        let lib = "libs/narration-core/src/lib.rs";
        let text = lab.read(lib);
        lab.write(lib, &set_const(&text, "MARK", "side"));
        lab.write(
            "shared/prompts.txt",
            "Side prompt.\nYou are a helpful assistant.\n",
        );
        lab.write("shared/side.txt", "only on side\n");
        lab.commit("side");
        lab.git(&["checkout", "-q", "main"]);
        let host = host_triple();
        Sim {
            lab,
            rng: Rng::new(seed),
            oracle: Oracle::default(),
            seed,
            steps,
            step: 0,
            history: Vec::new(),
            added: Vec::new(),
            versions: BTreeMap::new(),
            counter: 0,
            stats: Stats::default(),
            keep_going: std::env::var(KEEP_GOING_VAR).is_ok_and(|v| v == "1"),
            op: "start".to_owned(),
            findings: Vec::new(),
            seen_wrong: BTreeMap::new(),
            lock_ignored: false,
            worktree: None,
            host,
            was_fresh: BTreeSet::new(),
        }
    }

    /// With `KEEP_GOING_VAR=1`: prints every wrong verdict found (first step, operation,
    /// binary, how often seen), then fails if there was one.
    fn report_findings(&self) {
        if self.findings.is_empty() {
            return;
        }
        let mut text = String::new();
        for f in &self.findings {
            let key = (f.kind.to_owned(), f.bin.clone(), reason_key(&f.msg));
            let _ = writeln!(
                text,
                "  step {:4} ({}), {}: {} [seen {} times]\n      {}",
                f.step,
                f.op,
                f.bin,
                f.kind,
                self.seen_wrong.get(&key).copied().unwrap_or(0),
                f.msg.replace('\n', "\n      ")
            );
        }
        let mut by_op: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &self.findings {
            *by_op.entry(f.op.as_str()).or_default() += 1;
        }
        self.fail(&format!(
            "{} distinct wrong verdicts (first operation that showed each: {by_op:?}):\n{text}",
            self.findings.len()
        ));
    }

    fn note(&mut self, what: String) {
        self.history.push(format!("{:4}: {what}", self.step));
    }

    fn fail(&self, msg: &str) -> ! {
        // Keep the repository (the temporary one is deleted when the test unwinds).
        let kept = std::env::temp_dir().join(format!("rbee-graph-differential-{}", self.seed));
        let _ = fs::remove_dir_all(&kept);
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(self.lab.outer())
            .arg(&kept)
            .status()
            .is_ok_and(|s| s.success());
        let kept = if copied {
            kept.display().to_string()
        } else {
            "(could not be copied)".to_owned()
        };
        let mut history = String::new();
        for line in &self.history {
            let _ = writeln!(history, "  {line}");
        }
        panic!(
            "differential test failed at step {} (seed {seed}):\n{msg}\n\nreproduce with:\n  \
             {SEED_VAR}={seed} {STEPS_VAR}={} cargo test -p rbee-graph --test integration \
             differential -- --nocapture\nrepository copied to {kept}\nhistory:\n{history}",
            self.step,
            self.steps,
            seed = self.seed,
        );
    }

    fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn choose(&mut self) -> Op {
        // `OPS_VAR=A,B,...` keeps only those operations (with their weights).
        let only = std::env::var(OPS_VAR).ok();
        let weights: Vec<(Op, usize)> = WEIGHTS
            .iter()
            .filter(|(op, _)| {
                only.as_deref()
                    .is_none_or(|o| o.split(',').any(|n| n.trim() == format!("{op:?}")))
            })
            .copied()
            .collect();
        assert!(
            !weights.is_empty(),
            "{OPS_VAR} names no operation: {only:?}"
        );
        let total: usize = weights.iter().map(|(_, w)| w).sum();
        let mut at = self.rng.below(total);
        for (op, w) in &weights {
            if at < *w {
                return *op;
            }
            at -= w;
        }
        unreachable!()
    }

    // -----------------------------------------------------------------------------------------
    // Files.

    fn exists(&self, rel: &str) -> bool {
        self.lab.path(rel).exists()
    }

    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        fs::read(self.lab.path(rel)).ok()
    }

    /// Writes `content` to `rel`, remembering the old content for reverts.
    fn write(&mut self, rel: &str, content: &[u8]) {
        if let Some(old) = self.read(rel) {
            let versions = self.versions.entry(rel.to_owned()).or_default();
            if !versions.contains(&old) {
                versions.push(old);
            }
        }
        let path = self.lab.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create directories");
        }
        fs::write(&path, content).unwrap_or_else(|e| panic!("write {rel}: {e}"));
    }

    fn append_comment(&mut self, rel: &str) {
        let id = self.next_id();
        let line = if rel.ends_with(".rs") {
            format!("// edit {id}\n")
        } else if rel.ends_with(".toml") || rel.ends_with(".yml") {
            format!("# edit {id}\n")
        } else {
            format!("edit {id}\n")
        };
        let mut content = self.read(rel).unwrap_or_default();
        content.extend_from_slice(line.as_bytes());
        self.write(rel, &content);
        self.note(format!("append {line:?} to {rel}"));
    }

    // -----------------------------------------------------------------------------------------
    // Operations.

    fn apply(&mut self, op: Op) {
        match op {
            Op::EditSource => {
                let rel = *self.rng.pick(SOURCES);
                let id = self.next_id();
                if rel == "libs/narration-core/src/lib.rs" && self.rng.percent(60) {
                    let text = self.lab.read(rel);
                    let value = format!("v{id}");
                    self.write(rel, set_const(&text, "MARK", &value).as_bytes());
                    self.note(format!("set MARK = {value:?} in {rel}"));
                } else if rel == "libs/build-info/src/lib.rs" && self.rng.percent(60) {
                    let text = self.lab.read(rel);
                    let label = format!("rbee-build-{id}");
                    let new: String = text
                        .lines()
                        .map(|l| {
                            if l.trim_start().starts_with("\"rbee-build-") {
                                format!("    \"{label}\"\n")
                            } else {
                                format!("{l}\n")
                            }
                        })
                        .collect();
                    self.write(rel, new.as_bytes());
                    self.note(format!("set the build-info label to {label:?}"));
                } else {
                    self.append_comment(rel);
                }
            }
            Op::EditManifest => {
                let rel = *self.rng.pick(MANIFESTS);
                self.append_comment(rel);
            }
            Op::EditPrompts => {
                let rel = "shared/prompts.txt";
                let id = self.next_id();
                if self.rng.percent(60) {
                    let rest = String::from_utf8_lossy(&self.read(rel).unwrap_or_default())
                        .lines()
                        .skip(1)
                        .map(|l| format!("{l}\n"))
                        .collect::<String>();
                    let text = format!("Prompt number {id}.\n{rest}");
                    self.write(rel, text.as_bytes());
                    self.note(format!(
                        "set the first line of {rel} to \"Prompt number {id}.\""
                    ));
                } else {
                    self.append_comment(rel);
                }
            }
            Op::EditBuildScript => self.append_comment("bin/llm-worker-rbee/build.rs"),
            Op::EditTests => {
                let rel = *self.rng.pick(TEST_FILES);
                if rel.ends_with("narration.rs") && self.rng.percent(20) && self.exists(rel) {
                    self.remove(rel);
                } else {
                    self.append_comment(rel);
                }
            }
            Op::EditOther => {
                let rel = *self.rng.pick(OTHER_FILES);
                if rel != "Cargo.toml" && self.rng.percent(20) && self.exists(rel) {
                    self.remove(rel);
                } else {
                    self.append_comment(rel);
                }
            }
            Op::AddFile => {
                let (dir, ext, content) = *self.rng.pick(NEW_FILE_PLACES);
                let id = self.next_id();
                let rel = if dir.is_empty() {
                    format!("added_{id}.{ext}")
                } else {
                    format!("{dir}/added_{id}.{ext}")
                };
                self.write(&rel, content.as_bytes());
                self.added.push(rel.clone());
                self.note(format!("add {rel}"));
            }
            Op::DeleteFile => {
                let existing: Vec<String> = self
                    .added
                    .iter()
                    .filter(|r| self.exists(r))
                    .cloned()
                    .collect();
                if existing.is_empty() {
                    self.note("delete: no added file exists".to_owned());
                } else {
                    let rel = self.rng.pick(&existing).clone();
                    self.remove(&rel);
                }
            }
            Op::RenameFile => {
                let existing: Vec<String> = self
                    .added
                    .iter()
                    .filter(|r| self.exists(r))
                    .cloned()
                    .collect();
                if existing.is_empty() {
                    self.note("rename: no added file exists".to_owned());
                } else {
                    let from = self.rng.pick(&existing).clone();
                    let id = self.next_id();
                    let (stem, ext) = from.rsplit_once('.').expect("an extension");
                    let to = format!("{stem}_r{id}.{ext}");
                    fs::rename(self.lab.path(&from), self.lab.path(&to)).expect("rename");
                    self.added.push(to.clone());
                    self.note(format!("rename {from} to {to}"));
                }
            }
            Op::Touch => {
                let rel = *self.rng.pick(SOURCES);
                set_mtime(&self.lab.path(rel), SystemTime::now());
                self.note(format!("touch {rel} (mtime only)"));
            }
            Op::DataFile => self.data_file(),
            Op::Revert | Op::RestoreOldMtime => self.restore(matches!(op, Op::RestoreOldMtime)),
            Op::Commit => {
                self.git_ok(&["add", "-A"]);
                self.git_ok(&["commit", "-q", "--allow-empty", "-m", "step"]);
                self.note("commit everything".to_owned());
            }
            Op::Amend => {
                self.git_ok(&["add", "-A"]);
                self.git_ok(&["commit", "-q", "--amend", "--allow-empty", "--no-edit"]);
                self.note("amend everything into HEAD".to_owned());
            }
            Op::Checkout => {
                let branch = self.lab.try_git(&["branch", "--show-current"]).stdout;
                let to = if branch.trim() == "main" {
                    "side"
                } else {
                    "main"
                };
                if self.lab.try_git(&["checkout", "-q", to]).code == Some(0) {
                    self.note(format!("checkout {to} (carrying local changes)"));
                } else {
                    self.git_ok(&["stash", "push", "-u", "-q"]);
                    self.git_ok(&["checkout", "-q", to]);
                    self.note(format!("stash -u, checkout {to}"));
                }
            }
            Op::Detach => {
                self.git_ok(&["checkout", "-q", "--detach", "HEAD"]);
                self.note("detach HEAD".to_owned());
            }
            Op::Stash => {
                self.git_ok(&["stash", "push", "-u", "-q"]);
                self.note("stash push -u".to_owned());
            }
            Op::Pop => {
                if self
                    .lab
                    .try_git(&["stash", "list"])
                    .stdout
                    .trim()
                    .is_empty()
                {
                    self.note("pop: no stash".to_owned());
                } else if self.lab.try_git(&["stash", "pop", "-q"]).code == Some(0) {
                    self.note("stash pop".to_owned());
                } else {
                    // A conflict: give up on the stash, back to HEAD's tracked files.
                    self.git_ok(&["reset", "-q", "--hard", "HEAD"]);
                    self.git_ok(&["stash", "drop", "-q"]);
                    self.note("stash pop conflicted: reset --hard, stash drop".to_owned());
                }
            }
            Op::LockBump => self.lock_bump(),
            Op::CargoConfig => {
                if self.exists(CARGO_CONFIG) && self.rng.percent(50) {
                    self.remove(CARGO_CONFIG);
                } else {
                    let content = if self.rng.percent(50) {
                        "[build]\nincremental = false\n"
                    } else {
                        "[build]\nincremental = true\n"
                    };
                    self.write(CARGO_CONFIG, content.as_bytes());
                    self.note(format!("write {CARGO_CONFIG}: {content:?}"));
                }
            }
            Op::Rustflags => {
                self.lab.rustflags = match self.lab.rustflags {
                    Some(_) => None,
                    None => Some(RUSTFLAGS.to_owned()),
                };
                self.note(format!("RUSTFLAGS = {:?}", self.lab.rustflags));
            }
            Op::RbeeBuild => self.random_rbee_build(),
            Op::CargoBuild => self.cargo_build(),
            Op::EditIgnored => self.edit_ignored(),
            Op::IgnoreLock => self.ignore_lock(),
            Op::ConfigEnv => self.config_env(),
            Op::EditOutside => self.edit_outside(),
            Op::Symlink => self.symlink(),
            Op::EditNested => self.edit_nested(),
            Op::BuildTarget => self.toggle_build_target(),
            Op::EditDuringBuild => self.edit_during_build(),
            Op::CopyPreserving => self.copy_preserving(),
            Op::Worktree => self.worktree_build(),
        }
    }

    /// Adds, edits, deletes or renames a file in the directory the worker's build script
    /// reads, with odd names (spaces, quotes, non-ASCII; non-UTF-8 with `NON_UTF8_VAR=1`).
    fn data_file(&mut self) {
        use std::os::unix::ffi::OsStrExt;
        let dir = self.lab.path(DATA_DIR);
        let existing: Vec<std::path::PathBuf> = fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        let id = self.next_id();
        let non_utf8 = std::env::var(NON_UTF8_VAR).is_ok_and(|v| v == "1");
        let new_name = |rng: &mut Rng| -> Vec<u8> {
            let mut names: Vec<Vec<u8>> = vec![
                format!("plain-{id}.txt").into_bytes(),
                format!("with space \"quote\" 'single' $x-{id}.txt").into_bytes(),
                format!("caf\u{e9}-\u{2603}-{id}.txt").into_bytes(),
            ];
            if non_utf8 {
                let mut bad = b"bad-\xff\xfe-".to_vec();
                bad.extend_from_slice(format!("{id}.txt").as_bytes());
                names.push(bad);
            }
            rng.pick(&names).clone()
        };
        let action = if existing.is_empty() {
            0
        } else {
            self.rng.below(4)
        };
        match action {
            0 => {
                let name = new_name(&mut self.rng);
                fs::create_dir_all(&dir).expect("create data/");
                let path = dir.join(std::ffi::OsStr::from_bytes(&name));
                fs::write(&path, format!("data {id}\n")).expect("write a data file");
                self.note(format!(
                    "add data file {:?}",
                    path.file_name().unwrap_or_default()
                ));
            }
            1 => {
                let path = self.rng.pick(&existing).clone();
                let mut content = fs::read(&path).unwrap_or_default();
                content.extend_from_slice(format!("more {id}\n").as_bytes());
                fs::write(&path, content).expect("edit a data file");
                self.note(format!(
                    "edit data file {:?}",
                    path.file_name().unwrap_or_default()
                ));
            }
            2 => {
                let path = self.rng.pick(&existing).clone();
                fs::remove_file(&path).expect("delete a data file");
                self.note(format!(
                    "delete data file {:?}",
                    path.file_name().unwrap_or_default()
                ));
            }
            _ => {
                let from = self.rng.pick(&existing).clone();
                let to = dir.join(std::ffi::OsStr::from_bytes(&new_name(&mut self.rng)));
                fs::rename(&from, &to).expect("rename a data file");
                self.note(format!(
                    "rename data file {:?} to {:?}",
                    from.file_name().unwrap_or_default(),
                    to.file_name().unwrap_or_default()
                ));
            }
        }
    }

    fn remove(&mut self, rel: &str) {
        if let Some(old) = self.read(rel) {
            let versions = self.versions.entry(rel.to_owned()).or_default();
            if !versions.contains(&old) {
                versions.push(old);
            }
        }
        fs::remove_file(self.lab.path(rel)).unwrap_or_else(|e| panic!("remove {rel}: {e}"));
        self.note(format!("delete {rel}"));
    }

    fn git_ok(&mut self, args: &[&str]) {
        let out = self.lab.try_git(args);
        if out.code != Some(0) {
            self.fail(&format!("git {args:?} failed: {out:#?}"));
        }
    }

    /// Writes back an earlier content of a file this test changed; with `old_mtime`, with an
    /// mtime in the past, as `cp -p` of an old copy would.
    fn restore(&mut self, old_mtime: bool) {
        let candidates: Vec<String> = self
            .versions
            .iter()
            .filter(|(rel, v)| !v.is_empty() && rel.as_str() != "Cargo.lock")
            .map(|(rel, _)| rel.clone())
            .collect();
        if candidates.is_empty() {
            self.note("restore: nothing to restore".to_owned());
            return;
        }
        let rel = self.rng.pick(&candidates).clone();
        let versions = &self.versions[&rel];
        let content = versions[self.rng.below(versions.len())].clone();
        let path = self.lab.path(&rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create directories");
        }
        fs::write(&path, &content).expect("restore");
        if old_mtime {
            // Somewhere between 2020 and an hour ago: older than every fingerprint.
            let back = Duration::from_secs(3600 + self.rng.next() % 100_000_000);
            let when = (SystemTime::now() - back).max(long_ago());
            set_mtime(&path, when);
            self.note(format!(
                "restore an old content of {rel} ({} bytes) with an old mtime",
                content.len()
            ));
        } else {
            self.note(format!(
                "revert {rel} to an old content ({} bytes)",
                content.len()
            ));
        }
    }

    /// Changes the checksum of an external crate in Cargo.lock, checks, and restores the lock
    /// file (a bogus checksum would break the next build), sometimes with an old mtime.
    fn lock_bump(&mut self) {
        let name = *self.rng.pick(&["itoa", "cfg-if", "fastrand"]);
        let lock = self.lab.read("Cargo.lock");
        let header = format!("name = \"{name}\"\n");
        let Some(at) = lock.find(&header) else {
            self.note(format!("lock bump: no {name} in Cargo.lock"));
            return;
        };
        let key = "checksum = \"";
        let start = at + lock[at..].find(key).expect("a checksum") + key.len();
        let mut edited = lock.clone();
        let id = self.next_id();
        edited.replace_range(start..start + 16, &format!("{id:016x}"));
        let path = self.lab.path("Cargo.lock");
        fs::write(&path, &edited).expect("write Cargo.lock");
        self.note(format!("bump the checksum of {name} in Cargo.lock"));
        self.check(&format!("after the checksum bump of {name}"));
        fs::write(&path, &lock).expect("restore Cargo.lock");
        if self.rng.percent(50) {
            set_mtime(&path, long_ago());
            self.note("restore Cargo.lock with an old mtime".to_owned());
        } else {
            self.note("restore Cargo.lock".to_owned());
        }
    }

    // -----------------------------------------------------------------------------------------
    // Inputs git does not see, or sees differently.

    /// Sets the first line of `rel` (a text file) to `line`, keeping the rest.
    fn set_first_line(&mut self, rel: &str, line: &str) {
        let rest: String = String::from_utf8_lossy(&self.read(rel).unwrap_or_default())
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect();
        self.write(rel, format!("{line}\n{rest}").as_bytes());
        self.note(format!("set the first line of {rel} to {line:?}"));
    }

    /// Edits an ignored file that rbee-hive includes or the worker's build script reads.
    fn edit_ignored(&mut self) {
        let rel = *self.rng.pick(&[IGNORED_NOTES, IGNORED_BUILD_INPUT]);
        let id = self.next_id();
        if self.rng.percent(70) {
            self.set_first_line(rel, &format!("ignored {id}"));
        } else {
            self.append_comment(rel);
        }
    }

    /// Once: `Cargo.lock` stops being tracked and becomes ignored, on both branches (the
    /// other one through a temporary worktree). Afterwards: a lock bump.
    fn ignore_lock(&mut self) {
        if self.lock_ignored {
            self.lock_bump();
            return;
        }
        let current = self.lab.try_git(&["branch", "--show-current"]).stdout;
        let current = current.trim().to_owned();
        let untrack = |lab: &Lab, dir: &Path| {
            let ignore = dir.join(".gitignore");
            let mut text = fs::read_to_string(&ignore).unwrap_or_default();
            text.push_str("/Cargo.lock\n");
            fs::write(&ignore, text).expect("write .gitignore");
            let d = dir.to_str().expect("UTF-8");
            lab.git(&["-C", d, "rm", "-q", "--cached", "Cargo.lock"]);
            lab.git(&["-C", d, "add", ".gitignore"]);
            lab.git(&["-C", d, "commit", "-q", "-m", "ignore Cargo.lock"]);
        };
        untrack(&self.lab, self.lab.root());
        let tmp = self.lab.outer().join("untrack-lock");
        for branch in ["main", "side"] {
            if branch == current {
                continue;
            }
            let t = tmp.to_str().expect("UTF-8");
            self.git_ok(&["worktree", "add", "-q", t, branch]);
            untrack(&self.lab, &tmp);
            self.git_ok(&["worktree", "remove", "--force", t]);
        }
        self.lock_ignored = true;
        self.note("Cargo.lock: untracked and ignored on main and side".to_owned());
        self.lock_bump();
    }

    /// Writes or removes the ignored `.cargo/config.toml` of the workspace or the one above
    /// the repository: `[env]` values read with `option_env!`, `[build] rustflags` with a
    /// `--cfg` the code reads.
    fn config_env(&mut self) {
        let rel = *self.rng.pick(&[CARGO_CONFIG, PARENT_CONFIG]);
        let id = self.next_id();
        let env = format!("[env]\nRBEE_CONFIG_ENV = \"c{id}\"\n");
        let cfg = "[build]\nrustflags = [\"--cfg\", \"rbee_cfg\"]\n";
        match self.rng.below(4) {
            0 if self.exists(rel) => {
                self.remove(rel);
                return;
            }
            0 | 1 => self.write(rel, env.as_bytes()),
            2 => self.write(rel, cfg.as_bytes()),
            _ => self.write(rel, format!("{env}{cfg}").as_bytes()),
        }
        let content = String::from_utf8_lossy(&self.read(rel).unwrap_or_default()).into_owned();
        self.note(format!("write {rel}: {content:?}"));
    }

    /// Edits the path dependency outside the repository.
    fn edit_outside(&mut self) {
        let id = self.next_id();
        match self.rng.below(5) {
            0 => self.append_comment(OUTSIDE_MANIFEST),
            1 => self.append_comment(OUTSIDE_LIB),
            _ => {
                let text = self.lab.read(OUTSIDE_LIB);
                let value = format!("o{id}");
                self.write(OUTSIDE_LIB, set_const(&text, "OUTSIDE", &value).as_bytes());
                self.note(format!("set OUTSIDE = {value:?} in {OUTSIDE_LIB}"));
            }
        }
    }

    /// Edits the file the symlink rbee-keeper includes points to (outside the repository),
    /// or re-points the symlink.
    fn symlink(&mut self) {
        let link = self.lab.path(SYMLINK);
        let now = fs::read_link(&link).ok();
        let id = self.next_id();
        if self.rng.percent(35) {
            let to = LINK_TARGETS
                .iter()
                .map(|t| self.lab.path(t))
                .find(|t| Some(t) != now.as_ref())
                .expect("two targets");
            fs::remove_file(&link).expect("remove the symlink");
            std::os::unix::fs::symlink(&to, &link).expect("symlink");
            self.note(format!("re-point {SYMLINK} to {}", to.display()));
        } else {
            let target = *self.rng.pick(LINK_TARGETS);
            self.set_first_line(target, &format!("linked {id}"));
        }
    }

    /// Edits the crate in the nested repository.
    fn edit_nested(&mut self) {
        let id = self.next_id();
        match self.rng.below(5) {
            0 => self.append_comment(NESTED_MANIFEST),
            1 => self.append_comment(NESTED_LIB),
            _ => {
                let text = self.lab.read(NESTED_LIB);
                let value = format!("n{id}");
                self.write(NESTED_LIB, set_const(&text, "NESTED", &value).as_bytes());
                self.note(format!("set NESTED = {value:?} in {NESTED_LIB}"));
            }
        }
    }

    fn toggle_build_target(&mut self) {
        self.lab.build_target = match self.lab.build_target {
            Some(_) => None,
            None => Some(self.host.clone()),
        };
        self.note(format!("CARGO_BUILD_TARGET = {:?}", self.lab.build_target));
    }

    /// A real edit of narration-core, then an rbee-graph build during which the wrapper
    /// compiles other content and puts the edited file back with its mtime: the binaries
    /// contain what the wrapper compiled, which the oracle is told.
    fn edit_during_build(&mut self) {
        let rel = "libs/narration-core/src/lib.rs";
        self.append_comment(rel);
        let id = self.next_id();
        let compiled = set_const(&self.lab.read(rel), "MARK", &format!("during{id}"));
        fs::write(self.lab.path(HOOK), &compiled).expect("write the hook");
        self.oracle.compiled_instead =
            Some((normalize(&self.lab.path(rel)), compiled.into_bytes()));
        self.note(format!(
            "arm the wrapper: compile narration-core with MARK = \"during{id}\", then restore"
        ));
        let daemons = ["rbee-keeper", "queen-rbee", "rbee-hive", "llm-worker-rbee"];
        let bin = *self.rng.pick(&daemons);
        self.rbee_build(&["build", bin], vec![bin]);
    }

    /// Whether the wrapper compiled the hook's content in the last build (and disarms it).
    fn hook_fired(&mut self) -> bool {
        let hook = self.lab.path(HOOK);
        let fired = hook.with_file_name("rustc-hook.fired");
        let _ = fs::remove_file(&hook);
        fs::remove_file(&fired).is_ok()
    }

    /// A shared library source changed, one binary built, and the old content copied back
    /// with `cp -p` (its old mtime): the other binaries were built from that content.
    fn copy_preserving(&mut self) {
        let rel = *self.rng.pick(&[
            "libs/narration-core/src/lib.rs",
            "libs/daemon-lifecycle/src/lib.rs",
        ]);
        let path = self.lab.path(rel);
        let saved = self.lab.outer().join("saved-copy");
        let cp = |from: &Path, to: &Path| {
            let ok = std::process::Command::new("cp")
                .arg("-p")
                .arg(from)
                .arg(to)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "cp -p {} {}", from.display(), to.display());
        };
        cp(&path, &saved);
        let id = self.next_id();
        if rel.contains("narration-core") {
            let text = self.lab.read(rel);
            self.write(rel, set_const(&text, "MARK", &format!("v{id}")).as_bytes());
            self.note(format!("cp -p {rel} aside; set MARK = \"v{id}\""));
        } else {
            self.note(format!("cp -p {rel} aside"));
            self.append_comment(rel);
        }
        let all: Vec<&str> = RBEE_BINS.iter().map(|(b, _)| *b).collect();
        let bin = *self.rng.pick(&all[..all.len() - 1]); // Not xtask: it reads neither.
        if self.rng.percent(50) {
            self.rbee_build(&["build", bin], vec![bin]);
        } else {
            self.cargo_build_args(vec!["build", "--bin", bin]);
        }
        self.check(&format!("after building only {bin}"));
        cp(&saved, &path);
        self.note(format!("cp -p the old {rel} back (old content, old mtime)"));
    }

    /// Builds in a second worktree (detached, next to the repository, on another content)
    /// with this repository's target directory: the binaries it relinks are another
    /// checkout's.
    fn worktree_build(&mut self) {
        let wt = self.lab.outer().join("wt2");
        if self.worktree.is_none() {
            let w = wt.to_str().expect("UTF-8");
            self.git_ok(&["worktree", "add", "-q", "--detach", w, "side"]);
            // What git does not check out there: the nested repository, ignored files, an
            // untracked lock file.
            for (from, to) in [("nested", "nested"), ("local", "local")] {
                let _ = fs::remove_dir_all(wt.join(to));
                let ok = std::process::Command::new("cp")
                    .arg("-a")
                    .arg(self.lab.path(from))
                    .arg(wt.join(to))
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "copy {from} into the worktree");
            }
            if !wt.join("Cargo.lock").exists() {
                fs::copy(self.lab.path("Cargo.lock"), wt.join("Cargo.lock")).expect("lock");
            }
            self.worktree = Some(wt.clone());
            self.note(format!("git worktree add --detach {} side", wt.display()));
        }
        let id = self.next_id();
        let lib = wt.join("libs/narration-core/src/lib.rs");
        let text = fs::read_to_string(&lib).expect("read the worktree's lib.rs");
        fs::write(&lib, set_const(&text, "MARK", &format!("wt{id}"))).expect("write");
        let all: Vec<&str> = RBEE_BINS.iter().map(|(b, _)| *b).collect();
        let bin = *self.rng.pick(&all);
        let before = self.exe_ids();
        let out = self.lab.cargo_in(&wt, &["build", "--bin", bin]);
        self.note(format!(
            "in the worktree: MARK = \"wt{id}\", CARGO_TARGET_DIR=<this target> cargo build --bin {bin}"
        ));
        if out.code != Some(0) {
            self.fail(&format!("cargo build in the worktree failed: {out:#?}"));
        }
        let after = self.exe_ids();
        for (b, id) in &after {
            if before[b] != *id {
                self.note(format!("(the worktree's cargo relinked {b})"));
                self.oracle.record(&self.lab, b, Builder::Foreign);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Builds.

    fn exe_ids(&self) -> BTreeMap<&'static str, Option<crate::oracle::ExeId>> {
        RBEE_BINS
            .iter()
            .map(|(b, _)| (*b, exe_id(&self.lab.exe(b))))
            .collect()
    }

    fn random_rbee_build(&mut self) {
        let all: Vec<&str> = RBEE_BINS.iter().map(|(b, _)| *b).collect();
        match self.rng.below(5) {
            0 => self.rbee_build(&["build"], all),
            1 => self.rbee_build(
                &["build", "--cascade", "rbee-keeper"],
                vec!["rbee-keeper", "queen-rbee", "rbee-hive", "llm-worker-rbee"],
            ),
            2 => {
                let bin = *self.rng.pick(&all);
                self.rbee_build(&["ensure", bin], vec![bin]);
            }
            _ => {
                let n = 1 + self.rng.below(3);
                let mut bins = Vec::new();
                while bins.len() < n {
                    let b = *self.rng.pick(&all);
                    if !bins.contains(&b) {
                        bins.push(b);
                    }
                }
                let mut args = vec!["build"];
                args.extend(&bins);
                self.rbee_build(&args, bins);
            }
        }
    }

    /// Runs `rbee-graph ARGS` (a build or an ensure of `targets`), then tells the oracle.
    fn rbee_build(&mut self, args: &[&str], targets: Vec<&str>) {
        let before = self.exe_ids();
        let out = self.lab.rbee(args);
        self.stats.rbee_builds += 1;
        self.note(format!("rbee-graph {}", args.join(" ")));
        if out.code != Some(0) || out.panicked() {
            self.fail(&format!("rbee-graph {args:?} failed: {out:#?}"));
        }
        if args[0] == "ensure" {
            let want = self.lab.exe(targets[0]);
            if out.stdout.trim_end() != want.to_str().expect("UTF-8 path") {
                self.wrong(
                    "ensure printed another path",
                    targets[0],
                    format!("ensure printed {:?}, not {}", out.stdout, want.display()),
                );
            }
        }
        let fired = self.hook_fired();
        if fired {
            self.note("(the wrapper compiled other content during that build)".to_owned());
        } else {
            self.oracle.compiled_instead = None;
        }
        let after = self.exe_ids();
        for bin in &targets {
            let relinked = before[bin] != after[bin];
            let was_foreign = self
                .oracle
                .get(&self.lab, bin)
                .is_some_and(|b| b.by == Builder::Foreign);
            // A binary it left alone is the one built before; the other checkout's cargo may
            // still have rewritten its dep-info (it does on every build, fresh or not).
            let other = (!relinked && !was_foreign)
                .then_some(self.worktree.as_deref())
                .flatten();
            self.oracle
                .record_checked_out_in(&self.lab, bin, Builder::RbeeGraph, other);
            let foreign = was_foreign && !relinked
                || self.worktree.as_ref().is_some_and(|wt| {
                    self.oracle
                        .get(&self.lab, bin)
                        .is_some_and(|b| b.files.iter().any(|f| f.starts_with(wt)))
                });
            if foreign {
                let msg = format!(
                    "after rbee-graph built {bin}, its dep-info lists the other worktree's \
                     files: the binary is that checkout's"
                );
                self.wrong("rbee-graph build left another checkout's binary", bin, msg);
                self.oracle.record(&self.lab, bin, Builder::Foreign);
            }
        }
        for (bin, id) in &after {
            if !targets.contains(bin) && before[bin] != *id {
                self.note(format!("(rbee-graph also relinked {bin})"));
                self.oracle.record(&self.lab, bin, Builder::Cargo);
            }
        }
        self.oracle.compiled_instead = None;
        // The binaries it just built must behave like the sources say (unless the sources
        // changed while it built them).
        if !fired {
            self.check_behaviour(&targets, "right after rbee-graph built it");
        }
    }

    fn cargo_build(&mut self) {
        let all: Vec<&str> = RBEE_BINS.iter().map(|(b, _)| *b).collect();
        let mut args = vec!["build"];
        if self.rng.percent(25) {
            args.push("--workspace");
        } else {
            for _ in 0..1 + self.rng.below(2) {
                let bin = *self.rng.pick(&all);
                if !args.contains(&bin) {
                    args.extend(["--bin", bin]);
                }
            }
        }
        self.cargo_build_args(args);
    }

    fn cargo_build_args(&mut self, args: Vec<&str>) {
        let before = self.exe_ids();
        let out = self.lab.cargo(&args);
        self.stats.cargo_builds += 1;
        self.note(format!("cargo {}", args.join(" ")));
        if out.code != Some(0) {
            self.fail(&format!("cargo {args:?} failed: {out:#?}"));
        }
        let after = self.exe_ids();
        for (bin, id) in &after {
            if before[bin] != *id {
                self.stats.cargo_relinks += 1;
                self.note(format!("(cargo relinked {bin})"));
                self.oracle.record(&self.lab, bin, Builder::Cargo);
            }
        }
    }

    /// A wrong verdict or binary: fails the test, or with `KEEP_GOING_VAR=1` is remembered
    /// (once per kind, binary and reason) and reported at the end.
    fn wrong(&mut self, kind: &'static str, bin: &str, msg: String) {
        if !self.keep_going {
            self.fail(&msg);
        }
        if kind.starts_with("fresh") {
            self.stats.wrong_fresh += 1;
        }
        let key = (kind.to_owned(), bin.to_owned(), reason_key(&msg));
        let seen = self.seen_wrong.entry(key).or_default();
        *seen += 1;
        if *seen == 1 {
            self.note(format!("WRONG ({kind}): {msg}"));
            self.findings.push(Finding {
                kind,
                step: self.step,
                op: self.op.clone(),
                bin: bin.to_owned(),
                msg,
            });
        }
    }

    // -----------------------------------------------------------------------------------------
    // The comparison.

    fn check(&mut self, when: &str) {
        let status = self.lab.status();
        self.stats.statuses += 1;
        let mut fresh_daemons = Vec::new();
        let mut now_fresh = BTreeSet::new();
        for (bin, (fresh, reasons)) in &status {
            self.stats.verdicts += 1;
            let built = self.oracle.get(&self.lab, bin);
            let never_built = built.is_none();
            let relinked_by_cargo = built.is_some_and(|b| b.by != Builder::RbeeGraph);
            let truth = self.oracle.truly_stale(&self.lab, bin);
            if truth.is_some() {
                self.stats.truly_stale += 1;
            }
            // A binary the last check found truly fresh (built by rbee-graph) that this step
            // made stale: did rbee-graph notice?
            let key = Oracle::key(&self.lab, bin);
            if truth.is_some() && !relinked_by_cargo && self.was_fresh.contains(&key) {
                let t = self.stats.made_stale.entry(self.op.clone()).or_default();
                if *fresh {
                    t.1 += 1;
                } else {
                    t.0 += 1;
                }
            }
            if truth.is_none() && !relinked_by_cargo && !never_built {
                now_fresh.insert(key);
            }
            match (fresh, &truth) {
                (true, Some(why)) => self.wrong(
                    "fresh, but truly stale",
                    bin,
                    format!("{when}: rbee-graph says {bin} is fresh, but it is truly stale: {why}"),
                ),
                (true, None) if relinked_by_cargo => self.wrong(
                    "fresh, but relinked by another build",
                    bin,
                    format!(
                        "{when}: rbee-graph says {bin} is fresh, but plain cargo (or another \
                         checkout) relinked it after rbee-graph built it (a replaced binary is \
                         stale)"
                    ),
                ),
                (true, None) => fresh_daemons.push(bin.clone()),
                (false, Some(_)) => {
                    if never_built {
                        self.stats.by_definition += 1;
                    }
                }
                (false, None) if relinked_by_cargo => self.stats.by_definition += 1,
                (false, None) => {
                    self.stats.truly_fresh += 1;
                    self.stats.false_stale += 1;
                    let first = first_reason(reasons);
                    *self.stats.false_stale_examples.entry(first).or_default() += 1;
                }
            }
            if *fresh && truth.is_none() && !relinked_by_cargo {
                self.stats.truly_fresh += 1;
            }
        }
        self.was_fresh = now_fresh;
        let fresh: Vec<&str> = fresh_daemons.iter().map(String::as_str).collect();
        self.check_behaviour(&fresh, &format!("{when}, called fresh by status"));
    }

    /// Runs each daemon among `bins` and checks it prints what the sources say now.
    fn check_behaviour(&mut self, bins: &[&str], when: &str) {
        for (bin, expected) in self.lab.expected_behaviour() {
            if !bins.contains(&bin) {
                continue;
            }
            self.stats.behaviour_checks += 1;
            let Some(out) = self.lab.run_daemon(bin) else {
                self.fail(&format!("{when}: {bin} does not run"));
            };
            for want in &expected {
                if !out.contains(want.as_str()) {
                    self.wrong(
                        "binary does not behave like its sources",
                        bin,
                        format!(
                            "{when}: {bin} does not behave like its sources: it should print \
                             {want:?}, it printed:\n{out}"
                        ),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The one-time fixture preparation.

/// The worker's build script after [`prepare`]: [`crate::oracle::WORKER_DATA_BUILD_RS`]'s
/// `data/` listing, plus an ignored file outside the package and git's `.git/HEAD`, both
/// declared with `rerun-if-changed` and written into the binary.
const WORKER_BUILD_RS: &str = r#"use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=data");
    println!("cargo:rerun-if-changed=../../local/build-input.txt");
    println!("cargo:rerun-if-changed=../../.git/HEAD");
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
    let input = fs::read_to_string("../../local/build-input.txt").unwrap_or_default();
    let head = fs::read_to_string("../../.git/HEAD").unwrap_or_default();
    fs::write(
        out,
        format!(
            "pub const LABEL: &str = {label:?};\npub const DATA: &str = {data:?};\n\
             pub const INPUT: &str = {input:?};\npub const HEAD: &str = {head:?};\n"
        ),
    )
    .expect("write label.rs");
}
"#;

/// A `RUSTC_WRAPPER`: when the file `$RBEE_DIFF_HOOK` exists and rustc compiles
/// `narration_core`, it puts the hook's content into `$RBEE_DIFF_HOOK_SRC`, runs rustc, then
/// puts the old content back with its old mtime (`cp -p`), as an editor saving and undoing
/// during a build would, and renames the hook to `<hook>.fired`.
const RUSTC_WRAPPER: &str = r#"#!/bin/sh
case " $* " in
*" --crate-name narration_core "*)
    if [ -n "$RBEE_DIFF_HOOK" ] && [ -f "$RBEE_DIFF_HOOK" ]; then
        cp -p "$RBEE_DIFF_HOOK_SRC" "$RBEE_DIFF_HOOK.saved"
        cat "$RBEE_DIFF_HOOK" > "$RBEE_DIFF_HOOK_SRC"
        "$@"
        status=$?
        cp -p "$RBEE_DIFF_HOOK.saved" "$RBEE_DIFF_HOOK_SRC"
        rm -f "$RBEE_DIFF_HOOK.saved"
        mv "$RBEE_DIFF_HOOK" "$RBEE_DIFF_HOOK.fired"
        exit $status
    fi
    ;;
esac
exec "$@"
"#;

/// Files git ignores (`.git/info/exclude`): the workspace's `.cargo/` and `local/`.
const IGNORED_NOTES: &str = "local/notes.txt";
const IGNORED_BUILD_INPUT: &str = "local/build-input.txt";
/// A path dependency of rbee-keeper outside the repository.
const OUTSIDE_LIB: &str = "../outside-dep/src/lib.rs";
const OUTSIDE_MANIFEST: &str = "../outside-dep/Cargo.toml";
/// A symlink rbee-keeper includes, to one of two files outside the repository.
const SYMLINK: &str = "shared/linked.txt";
const LINK_TARGETS: &[&str] = &["../outside-files/a.txt", "../outside-files/b.txt"];
/// A nested git repository inside the repository, a path dependency of queen-rbee.
const NESTED_LIB: &str = "nested/src/lib.rs";
const NESTED_MANIFEST: &str = "nested/Cargo.toml";
/// A `.cargo/config.toml` above the repository.
const PARENT_CONFIG: &str = "../.cargo/config.toml";
const HOOK: &str = "../rustc-hook";

/// Changes the fixture copy once, before the side branch exists (so both branches have it),
/// and commits (see the module docs).
fn prepare(lab: &mut Lab) {
    use std::os::unix::fs::PermissionsExt;
    // The worker's build script reads data/, an ignored file and .git/HEAD.
    install_worker_data(lab);
    lab.write("bin/llm-worker-rbee/build.rs", WORKER_BUILD_RS);
    lab.replace(
        "bin/llm-worker-rbee/src/worker.rs",
        "    println!(\"data={}\", llm_worker_rbee::DATA);\n",
        "    println!(\"data={}\", llm_worker_rbee::DATA);\n    \
         println!(\"input={:?}\", llm_worker_rbee::INPUT.lines().next().unwrap_or(\"\"));\n    \
         println!(\"head={:?}\", llm_worker_rbee::HEAD.lines().next().unwrap_or(\"\"));\n    \
         println!(\"config_env={:?} cfg={}\", narration_core::CONFIG_ENV, narration_core::CFG);\n",
    );
    // Ignored files: local/ (read by rbee-hive and the worker's build script) and .cargo/.
    let exclude = lab.path(".git/info/exclude");
    let mut text = fs::read_to_string(&exclude).unwrap_or_default();
    text.push_str("/local/\n/.cargo/\n");
    lab.write(".git/info/exclude", &text);
    lab.write(IGNORED_NOTES, "notes 1\n");
    lab.write(IGNORED_BUILD_INPUT, "input 1\n");
    lab.replace(
        "bin/rbee-hive/src/main.rs",
        "fn main() {\n",
        "/// An ignored file.\nconst NOTES: &str = include_str!(\"../../../local/notes.txt\");\n\n\
         fn main() {\n    println!(\"notes={:?}\", NOTES.lines().next().unwrap_or(\"\"));\n",
    );
    // narration-core reads a variable `[env]` may set, and a cfg `[build] rustflags` may set.
    lab.replace(
        "libs/narration-core/src/lib.rs",
        "/// Keeps a daemon running",
        "/// Set by `[env]` in a `.cargo/config.toml`, or not.\n\
         pub const CONFIG_ENV: Option<&str> = option_env!(\"RBEE_CONFIG_ENV\");\n\n\
         /// Whether `--cfg rbee_cfg` was given.\n\
         pub const CFG: &str = if cfg!(rbee_cfg) { \"on\" } else { \"off\" };\n\n\
         /// Keeps a daemon running",
    );
    let manifest = "libs/narration-core/Cargo.toml";
    let text = lab.read(manifest);
    lab.write(
        manifest,
        &format!(
            "{text}\n[lints.rust]\nunexpected_cfgs = {{ level = \"warn\", check-cfg = [\"cfg(rbee_cfg)\"] }}\n"
        ),
    );
    // A path dependency outside the repository, and a symlink to a file outside it.
    lab.write(
        OUTSIDE_MANIFEST,
        "[package]\nname = \"outside-dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n",
    );
    lab.write(
        OUTSIDE_LIB,
        "//! A path dependency outside the repository.\n\npub const OUTSIDE: &str = \"o1\";\n",
    );
    lab.write(LINK_TARGETS[0], "linked a 1\n");
    lab.write(LINK_TARGETS[1], "linked b 1\n");
    std::os::unix::fs::symlink(lab.path(LINK_TARGETS[0]), lab.path(SYMLINK)).expect("symlink");
    let keeper = "bin/rbee-keeper/Cargo.toml";
    let text = lab.read(keeper);
    lab.write(
        keeper,
        &format!("{text}outside-dep = {{ path = \"../../../outside-dep\" }}\n"),
    );
    lab.replace(
        "bin/rbee-keeper/src/main.rs",
        "fn main() {\n",
        "/// Through a symlink to a file outside the repository.\n\
         const LINKED: &str = include_str!(\"../../../shared/linked.txt\");\n\n\
         fn main() {\n    println!(\"outside={:?}\", outside_dep::OUTSIDE);\n    \
         println!(\"linked={:?}\", LINKED.lines().next().unwrap_or(\"\"));\n",
    );
    // A nested repository, a path dependency of queen-rbee (and so a workspace member).
    lab.write(
        NESTED_MANIFEST,
        "[package]\nname = \"nested-dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n",
    );
    lab.write(
        NESTED_LIB,
        "//! A crate in a nested git repository.\n\npub const NESTED: &str = \"n1\";\n",
    );
    lab.git(&["-C", "nested", "init", "-q", "-b", "main"]);
    lab.git(&["-C", "nested", "add", "-A"]);
    lab.git(&["-C", "nested", "commit", "-q", "-m", "nested"]);
    let queen = "bin/queen-rbee/Cargo.toml";
    let text = lab.read(queen);
    lab.write(
        queen,
        &format!("{text}nested-dep = {{ path = \"../../nested\" }}\n"),
    );
    lab.replace(
        "bin/queen-rbee/src/main.rs",
        "fn main() {\n",
        "fn main() {\n    println!(\"nested={:?}\", nested_dep::NESTED);\n",
    );
    // The wrapper that edits a source during a build.
    let wrapper = lab.outer().join("rustc-wrapper.sh");
    fs::write(&wrapper, RUSTC_WRAPPER).expect("write the wrapper");
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).expect("chmod");
    let hook = lab.path(HOOK);
    let src = lab.path("libs/narration-core/src/lib.rs");
    lab.env.insert(
        "RUSTC_WRAPPER".to_owned(),
        wrapper.to_str().expect("UTF-8").to_owned(),
    );
    lab.env.insert(
        "RBEE_DIFF_HOOK".to_owned(),
        normalize(&hook).to_str().expect("UTF-8").to_owned(),
    );
    lab.env.insert(
        "RBEE_DIFF_HOOK_SRC".to_owned(),
        src.to_str().expect("UTF-8").to_owned(),
    );
    // The lock file learns the two new path packages.
    let out = lab.cargo(&["metadata", "--format-version", "1", "--offline"]);
    assert_eq!(out.code, Some(0), "cargo metadata: {out:#?}");
    lab.commit("prepared for the differential test");
}

/// The host's target triple (`rustc -vV`).
fn host_triple() -> String {
    let out =
        std::process::Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
            .arg("-vV")
            .output()
            .expect("run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

/// `text` with the `pub const NAME: &str = "...";` line set to `value`.
fn set_const(text: &str, name: &str, value: &str) -> String {
    let prefix = format!("pub const {name}: &str = ");
    let mut found = false;
    let out: String = text
        .lines()
        .map(|l| {
            if l.starts_with(&prefix) {
                found = true;
                format!("{prefix}\"{value}\";\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(found, "no const {name}");
    out
}

/// What makes two wrong verdicts of one kind and binary the same: the inputs that differ, or
/// what the binary should have printed.
fn reason_key(msg: &str) -> String {
    if let Some(at) = msg.find("inputs differ: ") {
        return msg[at..].to_owned();
    }
    if let Some(at) = msg.find("it should print ") {
        let rest = &msg[at..];
        return rest[..rest.find(", it printed").unwrap_or(rest.len())].to_owned();
    }
    String::new()
}

/// The first reason of a status entry, shortened, for the false-stale summary.
fn first_reason(reasons_json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(reasons_json).unwrap_or_default();
    let Some(r) = v.as_array().and_then(|a| a.first()) else {
        return "(no reason)".to_owned();
    };
    let kind = r["kind"].as_str().unwrap_or("?");
    let what = r["detail"]
        .as_str()
        .or_else(|| r["path"].as_str())
        .unwrap_or("");
    // Numbers (edit ids, paths of temporary files) would make every example unique.
    let what: String = what
        .split('/')
        .map(|part| {
            if part.contains("added_") {
                "added_N"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    format!("{kind}: {what}")
}
