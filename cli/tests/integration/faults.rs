//! Faults in local mode, on real builds of the `rbee` fixture: `rbee-graph build` killed with
//! SIGKILL at random moments (while cargo waits to start, while it compiles, after it finished
//! but before the records are written), and many concurrent `ensure` calls.
//!
//! Cargo is reached through a shim that sleeps before and after running the real cargo, to
//! open those windows, logs every `cargo build` (start and end), and detects two builds at once
//! with an atomic `mkdir`. The kill test is seeded (`RBEE_GRAPH_FAULT_SEED`, printed at the
//! start and in every failure).
//!
//! What must hold: after any kill, every record file is whole JSON of schema 1, and `status`
//! calls a binary fresh only if it really is the build of the current sources (the binary is
//! run and must print what the sources say); the next `build` repairs everything. Concurrent
//! `ensure` calls never run two cargo builds at once, all succeed and all print the right path.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rbee_graph_testdata::{Repo, Rng};
use serde_json::Value;

use crate::oracle::{Lab, Out, seed_from_env};
use crate::util::RBEE_BINS;
use crate::util::{CargoShim, real_cargo};

const SEED_VAR: &str = "RBEE_GRAPH_FAULT_SEED";
const NARRATION: &str = "libs/narration-core/src/lib.rs";
const NARRATE: &str = "format!(\"[{actor}] {action}\")";

/// A cargo shim ([`CargoShim`]) whose `cargo build ...` also logs `start PID`, takes the
/// overlap marker (logging `OVERLAP` if another build holds it), sleeps `pre` seconds, runs the
/// real cargo, sleeps `post` seconds, releases the marker and logs `end PID STATUS`. Anything
/// else runs the real cargo directly.
struct Shim {
    cargo: CargoShim,
    marker: PathBuf,
}

impl Shim {
    fn new(pre: &str, post: &str) -> Shim {
        let build = format!(
            "echo \"start $$\" >> \"$LOG\"\n\
             if ! mkdir \"$SHIM_DIR/building\" 2>/dev/null; then echo \"OVERLAP $$\" >> \"$LOG\"; fi\n\
             sleep {pre}\n\
             \"$REAL\" \"$@\"\n\
             rc=$?\n\
             sleep {post}\n\
             rmdir \"$SHIM_DIR/building\" 2>/dev/null\n\
             echo \"end $$ $rc\" >> \"$LOG\"\n\
             exit $rc"
        );
        let cargo = CargoShim::with_build_step(&real_cargo(), Some(&build));
        let marker = cargo.dir().join("building");
        Shim { cargo, marker }
    }

    /// The log: each invocation's arguments, and the `start`, `OVERLAP` and `end` lines.
    fn lines(&self) -> Vec<String> {
        self.cargo.calls()
    }

    fn count(&self, word: &str) -> usize {
        self.lines()
            .iter()
            .filter(|l| l.split_whitespace().next() == Some(word))
            .count()
    }

    fn clear(&self) {
        self.cargo.clear();
        let _ = fs::remove_dir(&self.marker);
    }

    /// Waits until every build that started has ended (a build whose rbee-graph was killed
    /// goes on as an orphan).
    fn wait_for_orphans(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        while self.count("start") > self.count("end") {
            assert!(
                Instant::now() < deadline,
                "an orphaned cargo build never ended: {:?}",
                self.lines()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn lab_with(shim: &Shim) -> Lab {
    let mut lab = Lab::new(Repo::from_fixture("rbee"));
    lab.cargo = shim.cargo.path().as_os_str().to_owned();
    lab
}

/// What each binary must print, given the edits so far.
struct Expect {
    generation: u64,
    prompt: Option<String>,
    xtask: Option<String>,
}

impl Expect {
    fn substrings(&self) -> BTreeMap<&'static str, Vec<String>> {
        let mut map = BTreeMap::new();
        for (bin, _) in RBEE_BINS {
            let mut want = Vec::new();
            if *bin == "xtask" {
                if let Some(x) = &self.xtask {
                    want.push(x.clone());
                }
            } else if self.generation > 0 {
                want.push(format!("gen={}", self.generation));
            }
            if *bin == "llm-worker-rbee"
                && let Some(p) = &self.prompt
            {
                want.push(format!("prompt={p:?}"));
            }
            map.insert(*bin, want);
        }
        map
    }
}

/// Checks that every record file is whole JSON of schema 3, and that every binary `status`
/// calls fresh prints what the sources say. Returns how many were fresh.
fn check_after_fault(lab: &Lab, expect: &Expect, context: &str) -> usize {
    let mut leftovers = Vec::new();
    for file in lab.record_files() {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.ends_with(".json") {
            leftovers.push(file);
            continue;
        }
        let bytes = fs::read(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{context}: record {} is not JSON ({e}):\n{}",
                file.display(),
                String::from_utf8_lossy(&bytes)
            )
        });
        assert_eq!(v["schema"], 3, "{context}: {}: {v:#}", file.display());
    }
    if !leftovers.is_empty() {
        eprintln!("{context}: temporary files left in the records directory: {leftovers:?}");
    }
    let status = lab.status();
    let want = expect.substrings();
    let mut fresh = 0;
    for (bin, (is_fresh, reasons)) in &status {
        if !is_fresh {
            assert!(
                reasons != "[]",
                "{context}: {bin} is stale without a reason"
            );
            continue;
        }
        fresh += 1;
        let out = lab
            .run_daemon(bin)
            .unwrap_or_else(|| panic!("{context}: status calls {bin} fresh, but it does not run"));
        for w in &want[bin.as_str()] {
            assert!(
                out.contains(w.as_str()),
                "{context}: status calls {bin} fresh, but it is not the build of the current \
                 sources: it should print {w:?}, it printed:\n{out}"
            );
        }
    }
    fresh
}

/// Sends SIGKILL to the process group `pgid` (rbee-graph and the cargo and rustc it started).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-9", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

#[test]
fn kill_9_during_a_build_never_leaves_a_fresh_lie_or_a_broken_record() {
    let seed = seed_from_env(SEED_VAR);
    eprintln!("faults: seed {seed} ({SEED_VAR}={seed})");
    let mut rng = Rng::new(seed);
    let shim = Shim::new("0.4", "0.4");
    let lab = lab_with(&shim);
    let build = lab.rbee(&["build"]);
    assert_eq!(build.code, Some(0), "{build:#?}");
    let mut expect = Expect {
        generation: 0,
        prompt: None,
        xtask: None,
    };
    let narration = lab.repo.read(NARRATION);
    assert!(
        narration.contains(NARRATE),
        "narrate's format in {NARRATION}"
    );

    let iterations = 8;
    let mut history = Vec::new();
    for i in 1..=iterations {
        // An edit that some binaries see: narration-core (all but xtask), the prompts (the
        // worker), or xtask alone.
        match rng.below(3) {
            0 => {
                expect.generation = i;
                let new = format!("format!(\"[{{actor}}] {{action}} gen={i}\")");
                lab.repo.write(NARRATION, &narration.replace(NARRATE, &new));
                history.push(format!("{i}: narration gen={i}"));
            }
            1 => {
                let prompt = format!("Prompt {i}.");
                lab.repo.write("shared/prompts.txt", &format!("{prompt}\n"));
                expect.prompt = Some(prompt);
                history.push(format!("{i}: prompt {i}"));
            }
            _ => {
                let line = format!("xtask: generation {i}");
                let text = lab.repo.read("xtask/src/main.rs");
                let old = expect
                    .xtask
                    .clone()
                    .unwrap_or("xtask: nothing to do".to_owned());
                lab.repo
                    .write("xtask/src/main.rs", &text.replace(&old, &line));
                expect.xtask = Some(line);
                history.push(format!("{i}: xtask {i}"));
            }
        }
        if rng.percent(30) {
            lab.repo.commit(&format!("generation {i}"));
            history.push(format!("{i}: commit"));
        }

        shim.clear();
        let args: &[&str] = if rng.percent(50) {
            &["build"]
        } else {
            &["build", "--cascade", "rbee-keeper"]
        };
        let mut child = lab
            .rbee_command(args)
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rbee-graph build");
        let delay = Duration::from_millis(rng.next() % 2600);
        let whole_group = rng.percent(50);
        std::thread::sleep(delay);
        let finished_before = child.try_wait().expect("try_wait").is_some();
        if whole_group {
            kill_group(child.id());
        } else {
            let _ = child.kill();
        }
        let status = child.wait().expect("wait for rbee-graph");
        if !whole_group {
            shim.wait_for_orphans();
        }
        let what = format!(
            "{i}: rbee-graph {args:?} killed ({}) after {delay:?} (exit {status}, finished \
             before the kill: {finished_before}, shim log {:?})",
            if whole_group {
                "the whole process group"
            } else {
                "rbee-graph only"
            },
            shim.lines()
        );
        history.push(what);
        let context = format!(
            "seed {seed} ({SEED_VAR}={seed}), history:\n{}",
            history.join("\n")
        );
        let fresh = check_after_fault(&lab, &expect, &context);
        eprintln!("faults: iteration {i}: {fresh} fresh after the kill");
    }

    // The next build repairs everything.
    let out = lab.rbee(&["build"]);
    assert_eq!(out.code, Some(0), "the build after the kills: {out:#?}");
    let context = format!(
        "seed {seed}, after the repair build, history:\n{}",
        history.join("\n")
    );
    assert_eq!(
        check_after_fault(&lab, &expect, &context),
        RBEE_BINS.len(),
        "{context}: everything is fresh after the repair build"
    );
}

#[test]
fn sixteen_concurrent_ensures_build_one_at_a_time_and_print_the_right_paths() {
    let shim = Shim::new("0.2", "0.1");
    let lab = lab_with(&shim);
    let build = lab.rbee(&["build"]);
    assert_eq!(build.code, Some(0), "{build:#?}");
    let narration = lab.repo.read(NARRATION);
    lab.repo.write(
        NARRATION,
        &narration.replace(NARRATE, "format!(\"[{actor}] {action} gen=2\")"),
    );
    shim.clear();

    let bins = ["queen-rbee", "rbee-hive", "llm-worker-rbee", "rbee-keeper"];
    let children: Vec<(&str, std::process::Child)> = (0..16)
        .map(|i| {
            let bin = bins[i % bins.len()];
            let child = lab
                .rbee_command(&["ensure", bin])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn rbee-graph ensure");
            (bin, child)
        })
        .collect();
    let runs: Vec<(&str, Out)> = children
        .into_iter()
        .map(|(bin, c)| (bin, Out::from_output(c.wait_with_output().expect("wait"))))
        .collect();

    let log = shim.lines();
    for (bin, run) in &runs {
        assert_eq!(run.code, Some(0), "ensure {bin} failed: {run:#?}");
        assert!(!run.panicked(), "{run:#?}");
        let want = lab.exe(bin);
        assert_eq!(
            Path::new(run.stdout.trim_end_matches('\n')),
            want,
            "ensure {bin} prints its path and nothing else: {run:#?}"
        );
    }
    assert!(
        !log.iter().any(|l| l.starts_with("OVERLAP")),
        "two cargo builds ran at the same time: {log:?}"
    );
    let builds = shim.count("start");
    assert!(
        (1..=bins.len()).contains(&builds),
        "between one and {} cargo builds (one per binary at most): {log:?}",
        bins.len()
    );
    let status = lab.status();
    for bin in bins {
        assert!(status[bin].0, "{bin} is fresh after ensure: {status:?}");
        let out = lab.run_daemon(bin).expect("the daemon runs");
        assert!(out.contains("gen=2"), "{bin} runs the new code:\n{out}");
    }
    eprintln!("faults: 16 concurrent ensures ran {builds} cargo builds, one at a time");
}
