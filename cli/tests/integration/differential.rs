//! Randomized differential test of local mode: random sequences of edits, git operations,
//! configuration changes and builds (by `rbee-graph` and by plain cargo) on a real copy of the
//! `rbee` fixture; after every step `rbee-graph status` is compared with the content oracle
//! (see `oracle`) for every binary.
//!
//! - A "fresh" verdict for a truly stale binary, for a binary never built by rbee-graph, or for
//!   a binary that plain cargo relinked since, fails the test with the seed and the history.
//! - A fresh daemon must also behave like its sources say (the mark, the prompt, the label and
//!   the data listing it prints), which does not depend on the oracle at all.
//!
//! The fixture copy is changed once first: the worker's build script also reads every file of
//! `bin/llm-worker-rbee/data/` (`rerun-if-changed=data`) and the worker prints their names and
//! sizes, so files with odd names there are real inputs. Non-UTF-8 names are only used with
//! `RBEE_GRAPH_DIFF_NON_UTF8=1`, because of the known bug pinned by
//! `hostile::bug_non_utf8_file_name_edited_after_the_build_is_called_fresh`.
//! - A "stale" verdict for a binary that is truly fresh and was last built by rbee-graph is a
//!   false stale: counted, and the rate printed (visible with `--nocapture`).
//!
//! The normal run takes `RBEE_GRAPH_DIFF_STEPS` steps (default 100, about 15 s alone on two
//! cores; 1,000 steps take about 3 minutes). The seed is fixed (2024) unless `RBEE_GRAPH_DIFF_SEED` is set (a number, or `random`); it is printed at the start
//! and in every failure. The long run:
//!
//! ```sh
//! RBEE_GRAPH_DIFF_STEPS=1000 cargo test -p rbee-graph --test integration differential -- --nocapture
//! ```

#![cfg(unix)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::time::{Duration, Instant, SystemTime};

use rbee_graph_testdata::Repo;

use crate::oracle::{
    Builder, DATA_DIR, Lab, Oracle, Rng, exe_id, install_worker_data, long_ago, seed_from_env,
    set_mtime,
};
use crate::util::RBEE_BINS;

const STEPS_VAR: &str = "RBEE_GRAPH_DIFF_STEPS";
/// Set to 1 to also give data files non-UTF-8 names (off by default: see
/// `hostile::bug_non_utf8_file_name_edited_after_the_build_is_called_fresh`).
const NON_UTF8_VAR: &str = "RBEE_GRAPH_DIFF_NON_UTF8";
const SEED_VAR: &str = "RBEE_GRAPH_DIFF_SEED";
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
    rbee_builds: usize,
    cargo_builds: usize,
    cargo_relinks: usize,
    behaviour_checks: usize,
    ops: BTreeMap<String, usize>,
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
         0 fresh verdicts for truly stale binaries ({} truly stale verdicts checked); \
         false stale {}/{} truly fresh rbee-graph builds = {rate:.1}%; \
         {} stale by definition (never built by rbee-graph, or relinked by cargo); \
         {} rbee-graph builds, {} cargo builds ({} relinked a binary); {} behaviour checks",
        started.elapsed(),
        s.statuses,
        s.verdicts,
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
    if !s.false_stale_examples.is_empty() {
        eprintln!("differential: false stale reasons (first reason, count):");
        for (why, n) in &s.false_stale_examples {
            eprintln!("  {n:4}  {why}");
        }
    }
}

impl Sim {
    fn new(seed: u64, steps: usize) -> Sim {
        let repo = Repo::from_fixture("rbee");
        // The worker's build script reads a data directory (`rerun-if-changed=data`).
        install_worker_data(&repo);
        repo.commit("the worker reads data/");
        let lab = Lab::new(repo);
        // A second branch that differs in what the binaries print and in an unowned file.
        lab.repo.git(&["checkout", "-q", "-b", "side"]);
        let lib = "libs/narration-core/src/lib.rs";
        let text = lab.repo.read(lib);
        lab.repo.write(lib, &set_const(&text, "MARK", "side"));
        lab.repo.write(
            "shared/prompts.txt",
            "Side prompt.\nYou are a helpful assistant.\n",
        );
        lab.repo.write("shared/side.txt", "only on side\n");
        lab.repo.commit("side");
        lab.repo.git(&["checkout", "-q", "main"]);
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
        }
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
            .arg(self.lab.repo.root())
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
        let total: usize = WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut at = self.rng.below(total);
        for (op, w) in WEIGHTS {
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
        self.lab.repo.path(rel).exists()
    }

    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        fs::read(self.lab.repo.path(rel)).ok()
    }

    /// Writes `content` to `rel`, remembering the old content for reverts.
    fn write(&mut self, rel: &str, content: &[u8]) {
        if let Some(old) = self.read(rel) {
            let versions = self.versions.entry(rel.to_owned()).or_default();
            if !versions.contains(&old) {
                versions.push(old);
            }
        }
        let path = self.lab.repo.path(rel);
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
                    let text = self.lab.repo.read(rel);
                    let value = format!("v{id}");
                    self.write(rel, set_const(&text, "MARK", &value).as_bytes());
                    self.note(format!("set MARK = {value:?} in {rel}"));
                } else if rel == "libs/build-info/src/lib.rs" && self.rng.percent(60) {
                    let text = self.lab.repo.read(rel);
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
                    fs::rename(self.lab.repo.path(&from), self.lab.repo.path(&to)).expect("rename");
                    self.added.push(to.clone());
                    self.note(format!("rename {from} to {to}"));
                }
            }
            Op::Touch => {
                let rel = *self.rng.pick(SOURCES);
                set_mtime(&self.lab.repo.path(rel), SystemTime::now());
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
        }
    }

    /// Adds, edits, deletes or renames a file in the directory the worker's build script
    /// reads, with odd names (spaces, quotes, non-ASCII; non-UTF-8 with `NON_UTF8_VAR=1`).
    fn data_file(&mut self) {
        use std::os::unix::ffi::OsStrExt;
        let dir = self.lab.repo.path(DATA_DIR);
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
        fs::remove_file(self.lab.repo.path(rel)).unwrap_or_else(|e| panic!("remove {rel}: {e}"));
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
        let path = self.lab.repo.path(&rel);
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
        let lock = self.lab.repo.read("Cargo.lock");
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
        let path = self.lab.repo.path("Cargo.lock");
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
                self.fail(&format!(
                    "ensure printed {:?}, not {}",
                    out.stdout,
                    want.display()
                ));
            }
        }
        let after = self.exe_ids();
        for bin in &targets {
            self.oracle.record(&self.lab, bin, Builder::RbeeGraph);
        }
        for (bin, id) in &after {
            if !targets.contains(bin) && before[bin] != *id {
                self.note(format!("(rbee-graph also relinked {bin})"));
                self.oracle.record(&self.lab, bin, Builder::Cargo);
            }
        }
        // The binaries it just built must behave like the sources say.
        self.check_behaviour(&targets, "right after rbee-graph built it");
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

    // -----------------------------------------------------------------------------------------
    // The comparison.

    fn check(&mut self, when: &str) {
        let status = self.lab.status();
        self.stats.statuses += 1;
        let mut fresh_daemons = Vec::new();
        for (bin, (fresh, reasons)) in &status {
            self.stats.verdicts += 1;
            let built = self.oracle.built.get(bin.as_str());
            let truth = self.oracle.truly_stale(&self.lab, bin);
            let relinked_by_cargo = built.is_some_and(|b| b.by == Builder::Cargo);
            if truth.is_some() {
                self.stats.truly_stale += 1;
            }
            match (fresh, &truth) {
                (true, Some(why)) => self.fail(&format!(
                    "{when}: rbee-graph says {bin} is fresh, but it is truly stale: {why}"
                )),
                (true, None) if relinked_by_cargo => self.fail(&format!(
                    "{when}: rbee-graph says {bin} is fresh, but plain cargo relinked it after \
                     rbee-graph built it (a replaced binary is stale)"
                )),
                (true, None) => fresh_daemons.push(bin.clone()),
                (false, Some(_)) => {
                    if built.is_none() {
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
                    self.fail(&format!(
                        "{when}: {bin} does not behave like its sources: it should print \
                         {want:?}, it printed:\n{out}"
                    ));
                }
            }
        }
    }
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
