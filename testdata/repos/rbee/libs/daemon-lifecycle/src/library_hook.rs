//! The pre-spawn hook as the real rbee daemons adopt it: `rbee_graph_engine::ensure` on a
//! `current_thread` runtime without drivers, building binaries of this daemon's own profile,
//! with cargo's output streamed to the daemon's users as narration.

use std::process::Command;

pub fn spawn_next(name: &str) -> bool {
    let options = rbee_graph_engine::EnsureOptions {
        binary: name.to_owned(),
        profile: Some(rbee_graph_engine::Profile::current()),
        output: rbee_graph_engine::CargoOutput::lines(|line| {
            println!("{}", narration_core::narrate("build", line));
        }),
        ..rbee_graph_engine::EnsureOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let path = match runtime.block_on(rbee_graph_engine::ensure(&options)) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("cannot make {name} fresh: {e}");
            return false;
        }
    };
    Command::new(path).status().is_ok_and(|s| s.success())
}
