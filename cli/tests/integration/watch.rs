//! Watch mode on the rbee fixture: the whole cascade runs under `rbee-graph watch`, an edit of
//! the worker's crate restarts only the worker, and stopping the watch stops every daemon.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rbee_graph_testdata::Repo;

use crate::util::{BIN, command};

/// A running `rbee-graph watch`, with its event lines (stderr) arriving on a channel.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(repo: &Repo, root: &str) -> Watch {
        let mut child = command(BIN, repo)
            .args(["watch", "--cascade", root])
            .current_dir(repo.root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rbee-graph watch");
        let stderr = child.stderr.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `needle`; returns it.
    fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?} within {timeout:?}; saw:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Lines that arrive within `wait`.
    fn drain(&mut self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line.clone());
            out.push(line);
        }
        out
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pid in a `started NAME (pid N)` or `restarted NAME (pid M -> N)` line: the last number.
fn pid_of(line: &str) -> u32 {
    line.trim_end_matches(')')
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {line:?}"))
}

/// Whether process `pid` exists and is not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

const CASCADE: [&str; 4] = ["rbee-keeper", "queen-rbee", "rbee-hive", "llm-worker-rbee"];

#[test]
#[cfg(target_os = "linux")]
fn a_worker_edit_restarts_only_the_worker_and_stopping_stops_everyone() {
    let repo = Repo::from_fixture("rbee");
    let mut watch = Watch::start(&repo, "rbee-keeper");
    let mut pids = std::collections::BTreeMap::new();
    for name in CASCADE {
        let line = watch.wait_for(&format!("started {name} "), Duration::from_secs(180));
        pids.insert(name, pid_of(&line));
    }
    for (name, pid) in &pids {
        assert!(alive(*pid), "{name} ({pid}) runs under the watch");
    }

    // Let the watcher settle, then change only the worker's crate.
    std::thread::sleep(Duration::from_millis(500));
    repo.replace(
        "bin/llm-worker-rbee/src/lib.rs",
        "format!(\"{LABEL} on {PLATFORM}\")",
        "format!(\"{LABEL} on {PLATFORM}, retrained\")",
    );
    let restarted = watch.wait_for("restarted llm-worker-rbee", Duration::from_secs(180));
    let new_worker = pid_of(&restarted);
    assert_ne!(new_worker, pids["llm-worker-rbee"], "{restarted}");
    assert!(alive(new_worker), "the new worker runs");
    assert!(!alive(pids["llm-worker-rbee"]), "the old worker is gone");
    let later = watch.drain(Duration::from_secs(2));
    assert!(
        !later
            .iter()
            .chain(&watch.seen)
            .any(|l| l.contains("restarted") && !l.contains("llm-worker-rbee")),
        "only the worker restarts:\n{}",
        watch.seen.join("\n")
    );
    for name in ["rbee-keeper", "queen-rbee", "rbee-hive"] {
        assert!(alive(pids[name]), "{name} keeps running with its old pid");
    }

    // A change that breaks the build keeps every daemon running.
    repo.append("bin/llm-worker-rbee/src/lib.rs", "\nfn broken( {\n");
    watch.wait_for("build failed", Duration::from_secs(180));
    assert!(
        alive(new_worker) && alive(pids["rbee-keeper"]),
        "a failed build stops nobody"
    );

    // SIGTERM to the watch stops every daemon.
    let status = Command::new("kill")
        .args(["-TERM", &watch.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while watch.child.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        watch.child.try_wait().expect("wait").is_some(),
        "the watch exits on SIGTERM"
    );
    std::thread::sleep(Duration::from_millis(300));
    for (name, pid) in pids.iter().filter(|(n, _)| **n != "llm-worker-rbee") {
        assert!(!alive(*pid), "{name} ({pid}) was stopped with the watch");
    }
    assert!(!alive(new_worker), "the worker was stopped with the watch");
}
