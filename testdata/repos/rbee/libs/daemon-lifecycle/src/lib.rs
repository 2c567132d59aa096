//! Starting and stopping daemons.

use std::process::{Command, Stdio};

#[cfg(feature = "library-hook")]
mod library_hook;

/// Describes the start of daemon `name`.
pub fn start(name: &str) -> String {
    narration_core::narrate(name, "start")
}

/// Announces that daemon `name` is up, with its pid and the narration mark it was built with.
pub fn announce(name: &str) {
    let line = format!("started pid={} mark={}", std::process::id(), narration_core::MARK);
    println!("{}", narration_core::narrate(name, &line));
}

/// Spawns daemon `name` the way the rbee daemons do: first the pre-spawn hook,
/// `rbee-graph ensure NAME`, which rebuilds the binary if its sources changed and prints its
/// path; then that binary, waited for. `RBEE_GRAPH` names the rbee-graph binary; without it
/// nothing is spawned, and neither under `rbee-graph watch` (`RBEE_GRAPH_SUPERVISED`), which
/// starts every daemon itself. Returns whether the daemon (and everything it spawned)
/// succeeded.
pub fn spawn_next(name: &str) -> bool {
    if std::env::var_os("RBEE_GRAPH_SUPERVISED").is_some() {
        return true;
    }
    #[cfg(feature = "library-hook")]
    return library_hook::spawn_next(name);
    #[cfg(not(feature = "library-hook"))]
    spawn_through_the_binary(name)
}

fn spawn_through_the_binary(name: &str) -> bool {
    let Some(rbee_graph) = std::env::var_os("RBEE_GRAPH") else {
        println!("{}", start(name));
        return true;
    };
    let ensured = Command::new(rbee_graph)
        .args(["ensure", name])
        .stderr(Stdio::inherit())
        .output()
        .expect("run rbee-graph ensure");
    if !ensured.status.success() {
        eprintln!("rbee-graph ensure {name} failed");
        return false;
    }
    let path = String::from_utf8(ensured.stdout).expect("a UTF-8 path");
    let status = Command::new(path.trim()).status().expect("spawn the daemon");
    status.success()
}
