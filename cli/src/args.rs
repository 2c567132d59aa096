//! The command line, as clap derive types: what the user typed, checked for shape only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Which binaries of a Cargo workspace does a git change affect, and in what order must they
/// be rebuilt?
#[derive(Debug, Parser)]
#[command(name = "rbee-graph", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the binaries (or with --tests, the packages) a change affects.
    Affected(AffectedArgs),
    /// Print the workspace graph.
    Graph(GraphArgs),
}

#[derive(Debug, Args)]
pub struct WorkspaceArgs {
    /// Path to the workspace's Cargo.toml [default: found from the current directory].
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AffectedArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Compare from the merge base of REV and the head (for example `origin/main`).
    #[arg(long, value_name = "REV")]
    pub base: String,
    /// The head commit [default: the working tree, uncommitted changes included].
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// List packages whose tests must run: dev-dependencies and tests/, benches/, examples/
    /// count too.
    #[arg(long)]
    pub tests: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
    pub format: AffectedFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AffectedFormat {
    /// One line per binary with its first reason.
    Text,
    /// The full answer, schema 1.
    Json,
    /// `{"include":[{"bin":..,"package":..}]}` for a GitHub Actions matrix.
    GithubMatrix,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz.
    Dot,
    /// Packages, targets and edges as JSON.
    Json,
}
