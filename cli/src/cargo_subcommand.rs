//! `cargo-rbee-graph`: lets `cargo rbee-graph ARGS` run `rbee-graph ARGS`.
//!
//! Cargo runs an external subcommand as `cargo-rbee-graph rbee-graph ARGS`; this drops the
//! repeated name and runs the `rbee-graph` installed beside it (else the one on `PATH`), so
//! the two can never disagree.

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).peekable();
    if args.peek().is_some_and(|a| a == "rbee-graph") {
        args.next();
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("rbee-graph")))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| "rbee-graph".into());
    let error = std::process::Command::new(&program).args(args).exec();
    eprintln!(
        "error: cannot run {}: {error}; install both with `cargo install --path cli`",
        program.display()
    );
    ExitCode::from(2)
}
