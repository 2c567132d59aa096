//! `rbee-graph`: argument parsing and output around [`rbee_graph_engine`].
//!
//! Nothing here decides anything: one function per command turns its arguments into engine
//! options, makes the engine call, and renders the answer (see `output`). Errors are printed once, here, as one line,
//! and bad input exits with status 2.

mod args;
mod output;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use rbee_graph_engine::{
    AffectedOptions, BuildOptions, EnsureOptions, ExplainOptions, Profile, StatusOptions,
    WhyOptions,
};
use rbee_graph_model::rules::Mode;

use crate::args::{CargoArgs, Cli, Command, MessageFormat, ProfileArgs};

/// Exit statuses, as cargo and nextest use them.
mod exit {
    /// Success, whatever is stale or affected.
    pub const OK: u8 = 0;
    /// Bad input or an error that stopped rbee-graph: one line on stderr says what to do.
    pub const ERROR: u8 = 2;
    /// A build failed (cargo's own status for a failed build).
    pub const BUILD_FAILED: u8 = 101;
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            if e.use_stderr() {
                // clap's usage errors span several lines; keep what comes before the usage,
                // which says what is wrong, and its tips ("a similar argument exists"), on one
                // line.
                let text = e.to_string();
                let what: Vec<&str> = text
                    .lines()
                    .take_while(|l| !l.starts_with("Usage:"))
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with("For more"))
                    .collect();
                eprintln!("{} (see `rbee-graph --help`)", what.join("; "));
            } else {
                let _ = e.print();
            }
            return ExitCode::from(code);
        }
    };
    init_logging(cli.command.cargo_args());
    match run(cli) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::from(exit::OK);
            }
            let message = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {message}");
            // A failed build is not bad input: cargo already said what is wrong.
            let bad_input = e
                .downcast_ref::<rbee_graph_engine::Error>()
                .is_none_or(rbee_graph_engine::Error::is_bad_input);
            ExitCode::from(if bad_input {
                exit::ERROR
            } else {
                exit::BUILD_FAILED
            })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Affected(args) => affected(&mut out, args)?,
        Command::Build(args) => build(&mut out, args)?,
        Command::Ensure(args) => ensure(&mut out, args)?,
        Command::Status(args) => status(&mut out, args)?,
        Command::Graph(args) => graph(&mut out, args)?,
        Command::Explain(args) => explain(&mut out, args)?,
        Command::Why(args) => why(&mut out, args)?,
        Command::Doctor(args) => doctor(&mut out, args)?,
        Command::Reads(args) => {
            let maps = rbee_graph_engine::read_maps(args.workspace.manifest_path.as_deref())?;
            output::reads(&mut out, &maps)?;
        }
        Command::Completions(args) => {
            clap_complete::generate(args.shell, &mut Cli::command(), "rbee-graph", &mut out);
        }
        Command::Watch(args) => watch(args)?,
    }
    out.flush()?;
    Ok(())
}

fn affected(out: &mut impl Write, args: args::AffectedArgs) -> anyhow::Result<()> {
    let mode = if args.tests {
        Mode::Tests
    } else {
        Mode::Binaries
    };
    let answer = match args.base {
        Some(base) => output::Answer::Revisions(rbee_graph_engine::affected(&AffectedOptions {
            manifest_path: args.workspace.manifest_path,
            base,
            head: args.head,
            mode,
            reads: args.reads,
            no_read_maps: args.no_read_maps,
            if_base_missing: match args.if_base_missing {
                args::IfBaseMissing::Error => rbee_graph_engine::IfBaseMissing::Error,
                args::IfBaseMissing::All => rbee_graph_engine::IfBaseMissing::All,
            },
        })?),
        None => {
            output::Answer::SinceBuild(rbee_graph_engine::affected_since_build(&StatusOptions {
                manifest_path: args.workspace.manifest_path,
                profile: profile(&args.profile),
                cargo: Default::default(),
            })?)
        }
    };
    output::affected(out, &answer, mode, args.format)
}

fn build(out: &mut impl Write, args: args::BuildArgs) -> anyhow::Result<()> {
    let options = BuildOptions {
        manifest_path: args.workspace.manifest_path,
        binaries: args.binaries,
        package: args.package,
        cascade: args.cascade,
        force: args.force,
        profile: profile(&args.profile),
        cargo: cargo_flags(&args.cargo),
        output: Default::default(),
    };
    let outcome = rbee_graph_engine::build_blocking(&options)?;
    match args.message_format {
        MessageFormat::Human => output::build_summary(&outcome),
        MessageFormat::Json => output::build_json(out, &outcome)?,
    }
    Ok(())
}

fn ensure(out: &mut impl Write, args: args::EnsureArgs) -> anyhow::Result<()> {
    let options = EnsureOptions {
        manifest_path: args.workspace.manifest_path,
        binary: args.binary,
        package: args.package,
        cascade: args.cascade,
        profile: profile(&args.profile),
        cargo: cargo_flags(&args.cargo),
        output: Default::default(),
    };
    let path = rbee_graph_engine::ensure_blocking(&options)?;
    match args.message_format {
        MessageFormat::Human => writeln!(out, "{}", path.display())?,
        MessageFormat::Json => output::ensure_json(out, &options.binary, &path)?,
    }
    Ok(())
}

fn status(out: &mut impl Write, args: args::StatusArgs) -> anyhow::Result<()> {
    let (profile, verdicts) = rbee_graph_engine::status(&StatusOptions {
        manifest_path: args.workspace.manifest_path,
        profile: profile(&args.profile),
        cargo: cargo_flags(&args.cargo),
    })?;
    output::status(out, &profile, &verdicts, args.format)
}

fn graph(out: &mut impl Write, args: args::GraphArgs) -> anyhow::Result<()> {
    if args.only_affected && args.format == args::GraphFormat::Json {
        anyhow::bail!(
            "--only-affected draws a picture (--format dot, mermaid or svg); \
             --format json --affected lists every package with the affected ones"
        );
    }
    let workspace = rbee_graph_engine::workspace(args.workspace.manifest_path.as_deref())?;
    let affected = match (args.affected || args.only_affected, args.base) {
        (false, _) => None,
        (true, Some(base)) => Some(output::Answer::Revisions(rbee_graph_engine::affected(
            &AffectedOptions {
                manifest_path: args.workspace.manifest_path,
                base,
                head: args.head,
                mode: Mode::Binaries,
                ..AffectedOptions::default()
            },
        )?)),
        (true, None) => Some(output::Answer::SinceBuild(
            rbee_graph_engine::affected_since_build(&StatusOptions {
                manifest_path: args.workspace.manifest_path,
                profile: profile(&args.profile),
                cargo: Default::default(),
            })?,
        )),
    };
    output::graph(
        out,
        &workspace,
        affected.as_ref(),
        args.only_affected,
        args.format,
    )
}

fn explain(out: &mut impl Write, args: args::ExplainArgs) -> anyhow::Result<()> {
    let explanation = rbee_graph_engine::explain(&ExplainOptions {
        manifest_path: args.workspace.manifest_path,
        binary: args.binary,
        package: args.package,
        base: args.base,
        head: args.head,
        profile: profile(&args.profile),
        cargo: cargo_flags(&args.cargo),
    })?;
    output::explain(out, &explanation, args.format)
}

fn why(out: &mut impl Write, args: args::WhyArgs) -> anyhow::Result<()> {
    let answer = rbee_graph_engine::why(&WhyOptions {
        manifest_path: args.workspace.manifest_path,
        path: args.path,
    })?;
    output::why(out, &answer, args.format)
}

fn doctor(out: &mut impl Write, args: args::DoctorArgs) -> anyhow::Result<()> {
    let report = rbee_graph_engine::doctor(&rbee_graph_engine::DoctorOptions {
        manifest_path: args.workspace.manifest_path,
        commits: args.commits,
    })?;
    match args.format {
        args::ExplainFormat::Text => output::doctor(out, &report),
        args::ExplainFormat::Json => output::doctor_json(out, &report),
    }
}

fn watch(args: args::WatchArgs) -> anyhow::Result<()> {
    let options = rbee_graph_engine::WatchOptions {
        manifest_path: args.workspace.manifest_path,
        root: args.cascade,
        package: args.package,
        args: args.args,
        profile: profile(&args.profile),
        cargo: cargo_flags(&args.cargo),
        debounce: std::time::Duration::from_millis(args.debounce_ms),
        grace: std::time::Duration::from_millis(args.grace_ms),
    };
    runtime()?.block_on(rbee_graph_engine::watch(
        &options,
        output::watch_event,
        shutdown_signal(),
    ))?;
    Ok(())
}

/// The engine's cargo flags. `--target-dir` becomes `CARGO_TARGET_DIR` (absolute), which
/// cargo treats alike, so that every cargo the engine runs, and the engine itself, use it.
fn cargo_flags(args: &CargoArgs) -> rbee_graph_engine::CargoFlags {
    if let Some(dir) = &args.target_dir {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
        // SAFETY: called before any thread of this process starts (the engine's threads are
        // started by the calls that follow).
        unsafe { std::env::set_var("CARGO_TARGET_DIR", dir) };
    }
    rbee_graph_engine::CargoFlags {
        features: args.features.clone(),
        all_features: args.all_features,
        no_default_features: args.no_default_features,
        target: args.target.clone(),
        locked: args.locked,
        frozen: args.frozen,
        offline: args.offline,
        jobs: args.jobs.clone(),
        verbose: args.verbose,
        quiet: args.quiet,
        color: args.color.clone(),
    }
}

fn profile(args: &ProfileArgs) -> Option<Profile> {
    if args.release {
        Some(Profile::release())
    } else {
        args.profile.as_deref().map(Profile::named)
    }
}

/// Completes on Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `watch` is async (tokio); one thread is all it needs.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn init_logging(cargo: Option<&CargoArgs>) {
    let (verbose, quiet, color) = cargo.map_or((0, false, None), |c| {
        (c.verbose, c.quiet, c.color.as_deref())
    });
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("RBEE_GRAPH_LOG").unwrap_or_else(|_| {
            // A person at a terminal sees what is stale and what is being built; a pipe (a
            // daemon's pre-spawn hook, a script) gets warnings only. Cargo's own output always
            // passes through.
            let level = if quiet {
                "error"
            } else if verbose > 0 {
                "debug"
            } else if std::io::stderr().is_terminal() {
                "info"
            } else {
                "warn"
            };
            tracing_subscriber::EnvFilter::new(level)
        });
    // `--color` decides for everything the CLI styles; without it anstream decides per
    // stream (a terminal, NO_COLOR, CLICOLOR_FORCE).
    match color {
        Some("always") => anstream::ColorChoice::Always.write_global(),
        Some("never") => anstream::ColorChoice::Never.write_global(),
        _ => {}
    }
    let colour = anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
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
