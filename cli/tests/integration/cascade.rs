//! The pre-spawn hook end to end, on the rbee fixture whose daemons spawn each other through
//! `rbee-graph ensure` (rbee-keeper -> queen-rbee -> rbee-hive -> llm-worker-rbee).
//!
//! Every cargo the binary runs goes through a shim that logs its arguments, so the tests can
//! count cargo invocations: a change must rebuild exactly the stale daemons in one cargo run
//! before the first spawn, and a start with nothing changed must run no cargo at all.

use std::path::{Path, PathBuf};
use std::process::Command;

use rbee_graph_testdata::Repo;

use crate::util::{BIN, CargoShim, command};

/// A fixture repository with a cargo shim, built once with `rbee-graph build`.
struct Cascade {
    repo: Repo,
    shim: CargoShim,
}

impl Cascade {
    fn new() -> Cascade {
        let cascade = Cascade {
            repo: Repo::from_fixture("rbee"),
            shim: CargoShim::new(),
        };
        cascade.rbee_graph(&["build"]);
        cascade.clear_log();
        cascade
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = command(program, &self.repo);
        cmd.current_dir(self.repo.root())
            .env("CARGO", self.shim.path())
            .env("RBEE_GRAPH", BIN);
        cmd
    }

    /// Runs rbee-graph, asserting success; returns stdout.
    fn rbee_graph(&self, args: &[&str]) -> String {
        let out = self
            .command(Path::new(BIN))
            .args(args)
            .output()
            .expect("run rbee-graph");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "rbee-graph {args:?} failed:\n{stderr}"
        );
        String::from_utf8(out.stdout).expect("UTF-8 stdout")
    }

    /// Starts the cascade the way a user would: the pre-spawn hook for rbee-keeper and its
    /// cascade, then rbee-keeper itself, which spawns the rest through `rbee-graph ensure`.
    /// Returns everything the daemons printed.
    fn start(&self) -> String {
        let keeper = self.rbee_graph(&["ensure", "rbee-keeper", "--cascade"]);
        let keeper = PathBuf::from(keeper.trim());
        assert!(
            keeper.is_absolute(),
            "ensure prints an absolute path: {}",
            keeper.display()
        );
        let out = self.command(&keeper).output().expect("start rbee-keeper");
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
        assert!(
            out.status.success(),
            "the cascade failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Every cargo invocation since the last [`Self::clear_log`], as argument lists.
    fn cargo_calls(&self) -> Vec<Vec<String>> {
        self.shim
            .calls()
            .iter()
            .map(|line| line.split_whitespace().map(str::to_owned).collect())
            .collect()
    }

    /// The `cargo build` invocations since the last clear, each as its sorted `--bin` names.
    fn builds(&self) -> Vec<Vec<String>> {
        self.cargo_calls()
            .into_iter()
            .filter(|args| args.first().map(String::as_str) == Some("build"))
            .map(|args| {
                let mut bins: Vec<String> = args
                    .windows(2)
                    .filter(|pair| pair[0] == "--bin")
                    .map(|pair| pair[1].clone())
                    .collect();
                bins.sort();
                bins
            })
            .collect()
    }

    fn clear_log(&self) {
        self.shim.clear();
    }
}

/// The `started` lines of the daemons, as (daemon, pid, mark).
fn started(output: &str) -> Vec<(String, String, String)> {
    output
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix('[')?.split_once("] started ")?;
            let field = |key: &str| {
                rest.split_whitespace()
                    .find_map(|f| f.strip_prefix(key))
                    .unwrap_or_default()
                    .to_owned()
            };
            Some((name.to_owned(), field("pid="), field("mark=")))
        })
        .collect()
}

fn daemons(started: &[(String, String, String)]) -> Vec<&str> {
    started.iter().map(|(name, _, _)| name.as_str()).collect()
}

const CASCADE: [&str; 4] = ["rbee-keeper", "queen-rbee", "rbee-hive", "llm-worker-rbee"];

#[test]
fn a_shared_crate_edit_rebuilds_the_stale_daemons_in_one_cargo_run_before_the_first_spawn() {
    let cascade = Cascade::new();
    let first = started(&cascade.start());
    assert_eq!(
        daemons(&first),
        CASCADE,
        "every daemon started, spawner first"
    );
    assert!(first.iter().all(|(_, _, mark)| mark == "v1"), "{first:?}");
    assert!(
        cascade.cargo_calls().is_empty(),
        "fresh: no cargo at all: {:?}",
        cascade.cargo_calls()
    );

    cascade.repo.replace(
        "libs/narration-core/src/lib.rs",
        "pub const MARK: &str = \"v1\";",
        "pub const MARK: &str = \"v2\";",
    );
    let second = started(&cascade.start());
    assert_eq!(daemons(&second), CASCADE);
    assert!(
        second.iter().all(|(_, _, mark)| mark == "v2"),
        "each level started the new binary: {second:?}"
    );
    assert_eq!(
        cascade.builds(),
        [vec![
            "llm-worker-rbee",
            "queen-rbee",
            "rbee-hive",
            "rbee-keeper"
        ]],
        "one cargo build of exactly the stale daemons of the cascade"
    );

    cascade.clear_log();
    let third = started(&cascade.start());
    assert_eq!(daemons(&third), CASCADE);
    assert!(third.iter().all(|(_, _, mark)| mark == "v2"));
    assert_eq!(
        cascade.cargo_calls(),
        Vec::<Vec<String>>::new(),
        "a second start runs no cargo"
    );
    let pids: std::collections::BTreeSet<&str> = third.iter().map(|(_, p, _)| p.as_str()).collect();
    assert_eq!(pids.len(), 4, "four separate processes: {third:?}");

    // The daemons outside the cascade were not built and are stale; they were never asked for.
    let status = cascade.rbee_graph(&["status", "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    let stale: Vec<&str> = status["binaries"]
        .as_array()
        .expect("binaries")
        .iter()
        .filter(|b| b["fresh"] == false)
        .map(|b| b["name"].as_str().expect("name"))
        .collect();
    assert_eq!(stale, ["hive-check", "hive-probe"]);
}

#[test]
fn a_worker_only_edit_rebuilds_only_the_worker() {
    let cascade = Cascade::new();
    cascade.repo.replace(
        "bin/llm-worker-rbee/src/lib.rs",
        "format!(\"{LABEL} on {PLATFORM}\")",
        "format!(\"{LABEL} on {PLATFORM}, retrained\")",
    );
    let output = cascade.start();
    assert_eq!(daemons(&started(&output)), CASCADE);
    assert!(
        output.contains("on unix, retrained"),
        "the worker runs the new code:\n{output}"
    );
    assert_eq!(cascade.builds(), [vec!["llm-worker-rbee"]]);
}

#[test]
fn a_committed_change_counts_like_an_uncommitted_one_and_a_revert_needs_no_build() {
    let cascade = Cascade::new();
    let original = cascade.repo.read("libs/daemon-lifecycle/src/lib.rs");
    cascade
        .repo
        .append("libs/daemon-lifecycle/src/lib.rs", "\n// tuned\n");
    cascade.repo.commit("tune daemon-lifecycle");
    cascade.start();
    // daemon-lifecycle reaches keeper, hive (directly) and queen (through hive-lifecycle).
    assert_eq!(
        cascade.builds(),
        [vec!["queen-rbee", "rbee-hive", "rbee-keeper"]]
    );

    // Back to the content the first build saw, as a new commit: the new binaries are stale
    // (built from the tuned code), and rebuilt once more.
    cascade.clear_log();
    cascade
        .repo
        .write("libs/daemon-lifecycle/src/lib.rs", &original);
    cascade.start();
    assert_eq!(
        cascade.builds(),
        [vec!["queen-rbee", "rbee-hive", "rbee-keeper"]]
    );

    // Edit and revert without building in between: fresh, nothing to build.
    cascade.clear_log();
    cascade
        .repo
        .append("libs/daemon-lifecycle/src/lib.rs", "\n// experiment\n");
    cascade
        .repo
        .write("libs/daemon-lifecycle/src/lib.rs", &original);
    cascade.start();
    assert!(cascade.builds().is_empty(), "{:?}", cascade.builds());
}

#[test]
fn a_variable_read_at_compile_time_is_an_input() {
    // narration-core reads `option_env!("RBEE_GREETING")`: cargo rebuilds when it changes, and
    // rbee-graph must not call the old binary fresh (neither on the fast path nor the full one).
    let cascade = Cascade::new();
    let ensure_worker = |greeting: Option<&str>| -> String {
        let mut cmd = cascade.command(Path::new(BIN));
        if let Some(greeting) = greeting {
            cmd.env("RBEE_GREETING", greeting);
        }
        let out = cmd
            .args(["ensure", "llm-worker-rbee"])
            .output()
            .expect("run rbee-graph");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .trim()
            .to_owned()
    };
    let run_worker = |path: &str| -> String {
        let out = cascade
            .command(Path::new(path))
            .output()
            .expect("run the worker");
        String::from_utf8(out.stdout).expect("UTF-8")
    };

    let path = ensure_worker(Some("hello"));
    assert_eq!(
        cascade.builds(),
        [vec!["llm-worker-rbee"]],
        "a new greeting is a rebuild"
    );
    assert!(
        run_worker(&path).contains("[llm-worker-rbee] hello"),
        "the binary has it"
    );

    cascade.clear_log();
    ensure_worker(Some("hello"));
    assert!(
        cascade.cargo_calls().is_empty(),
        "the same greeting: fresh, no cargo at all"
    );

    let path = ensure_worker(None);
    assert_eq!(
        cascade.builds(),
        [vec!["llm-worker-rbee"]],
        "unset again: rebuilt"
    );
    assert!(!run_worker(&path).contains("hello"));
}

#[test]
fn the_fast_path_compares_uncommitted_edits_with_what_the_build_saw() {
    // Built with an uncommitted edit (the record's dirty snapshot), the fast path must call the
    // binary fresh only while that file still holds what the build saw.
    let cascade = Cascade::new();
    let mark = |m: &str| {
        let file = "libs/narration-core/src/lib.rs";
        let text = cascade.repo.read(file);
        let start = text.find("pub const MARK: &str = \"").expect("MARK") + 24;
        let end = start + text[start..].find('"').expect("end of MARK");
        cascade
            .repo
            .write(file, &format!("{}{m}{}", &text[..start], &text[end..]));
    };
    let ensure = || cascade.rbee_graph(&["ensure", "llm-worker-rbee"]);

    mark("v2");
    ensure();
    assert_eq!(
        cascade.builds(),
        [vec!["llm-worker-rbee"]],
        "built from the uncommitted v2"
    );

    cascade.clear_log();
    ensure();
    assert!(
        cascade.cargo_calls().is_empty(),
        "still v2 on disk: fresh, no cargo"
    );

    mark("v3");
    ensure();
    assert_eq!(
        cascade.builds(),
        [vec!["llm-worker-rbee"]],
        "v3 differs from what v2's build saw"
    );

    cascade.clear_log();
    mark("v1");
    ensure();
    assert_eq!(
        cascade.builds(),
        [vec!["llm-worker-rbee"]],
        "back to the committed content, which the last build did not see"
    );
    let path = ensure();
    let out = cascade
        .command(Path::new(path.trim()))
        .output()
        .expect("run the worker");
    assert!(String::from_utf8_lossy(&out.stdout).contains("mark=v1"));
}
