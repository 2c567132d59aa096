//! `rbee-graph`: argument parsing and output around [`rbee_graph_engine`].
//!
//! Nothing here decides anything: `main` turns the arguments into engine options, makes one
//! call, and renders the answer (see `output`). Errors are printed once, here, as one line,
//! and bad input exits with status 2.

mod args;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use rbee_graph_engine::rules::Mode;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            if e.use_stderr() {
                // clap's usage errors span several lines; keep what comes before the usage,
                // which says what is wrong, on one line.
                let text = e.to_string();
                let what: Vec<&str> = text
                    .lines()
                    .take_while(|l| !l.starts_with("Usage:"))
                    .map(str::trim)
                    .filter(|l| {
                        !l.is_empty() && !l.starts_with("tip:") && !l.starts_with("For more")
                    })
                    .collect();
                eprintln!("{} (see `rbee-graph --help`)", what.join(" "));
            } else {
                let _ = e.print();
            }
            return ExitCode::from(code);
        }
    };
    init_logging();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let message = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Affected(args) => {
            let options = rbee_graph_engine::AffectedOptions {
                manifest_path: args.workspace.manifest_path,
                base: args.base,
                head: args.head,
                mode: if args.tests {
                    Mode::Tests
                } else {
                    Mode::Binaries
                },
            };
            let report = rbee_graph_engine::affected(&options)?;
            output::affected(&mut out, &report, options.mode, args.format)?;
        }
        Command::Graph(args) => {
            let worktree = rbee_graph_engine::snapshot::load_worktree(
                args.workspace.manifest_path.as_deref(),
            )?;
            output::graph(&mut out, &worktree.snapshot, args.format)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RBEE_GRAPH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .init();
}

/// A closed stdout (`rbee-graph affected | head -1`) is not an error worth reporting.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(|e| e.kind()) == broken
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                == broken
    })
}
