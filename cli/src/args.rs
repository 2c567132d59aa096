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
    /// List the binaries a change affects: since --base, or since each binary was built.
    Affected(AffectedArgs),
    /// Build the stale binaries (all of them, the named ones, or a cascade) in one cargo run.
    Build(BuildArgs),
    /// Make a binary fresh (building it if needed) and print its path: the pre-spawn hook.
    Ensure(EnsureArgs),
    /// Show every binary as fresh or stale, with the reasons.
    Status(StatusArgs),
    /// Print the workspace graph (dot, mermaid, svg or json), optionally highlighting what a
    /// change affects.
    Graph(GraphArgs),
    /// Explain why a binary is stale (since its last build) or affected (since --base).
    Explain(ExplainArgs),
    /// Explain what a path is to the workspace: the rule that classifies it and the binaries
    /// a change to it reaches.
    Why(WhyArgs),
    /// Print a shell completion script (for example `rbee-graph completions bash`).
    Completions(CompletionsArgs),
    /// Run a cascade of daemons; on a change, rebuild and restart only the stale ones.
    Watch(WatchArgs),
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The cascade root: it and every binary it spawns (transitively) run under the watch.
    #[arg(long, value_name = "ROOT")]
    pub cascade: String,
    /// The package holding ROOT, when its name is not unique.
    #[arg(short, long, value_name = "PACKAGE")]
    pub package: Option<String>,
    /// How long the workspace must be quiet before a change is acted on, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 300)]
    pub debounce_ms: u64,
    /// How long a daemon gets to exit after SIGTERM before SIGKILL, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub grace_ms: u64,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Arguments for the root daemon.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WorkspaceArgs {
    /// Path to the workspace's Cargo.toml [default: found from the current directory].
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Build with the release profile.
    #[arg(long, conflicts_with = "profile")]
    pub release: bool,
    /// Build with this profile [default: `profile` in the configuration, else dev].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct AffectedArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Compare from the merge base of REV and the head (for example `origin/main`). Without
    /// it, each binary is compared with what it was last built from.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The head commit [default: the working tree, uncommitted changes included].
    #[arg(long, value_name = "REV", requires = "base")]
    pub head: Option<String>,
    /// List packages whose tests must run: dev-dependencies and tests/, benches/, examples/
    /// count too.
    #[arg(long, requires = "base")]
    pub tests: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
    pub format: AffectedFormat,
    #[command(flatten)]
    pub profile: ProfileArgs,
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
pub struct BuildArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Binaries to build [default: every binary of the workspace].
    #[arg(value_name = "BIN")]
    pub binaries: Vec<String>,
    /// Look binary names up in this package (for names several packages use).
    #[arg(short, long, value_name = "PACKAGE")]
    pub package: Option<String>,
    /// Also build ROOT and every binary it spawns, transitively.
    #[arg(long, value_name = "ROOT")]
    pub cascade: Option<String>,
    /// Rebuild even what is fresh.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Debug, Args)]
pub struct EnsureArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The binary about to be spawned.
    #[arg(value_name = "BIN")]
    pub binary: String,
    /// The package holding it, when its name is not unique.
    #[arg(short, long, value_name = "PACKAGE")]
    pub package: Option<String>,
    /// Also make everything it spawns fresh, in the same cargo run.
    #[arg(long)]
    pub cascade: bool,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusFormat {
    /// One line per binary.
    Text,
    /// `{"schema":1,"binaries":[...]}`.
    Json,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Highlight the affected packages and binaries: since --base, or without it, the stale
    /// ones (since each binary was built).
    #[arg(long)]
    pub affected: bool,
    /// Compare from the merge base of REV and the head (with --affected).
    #[arg(long, value_name = "REV", requires = "affected")]
    pub base: Option<String>,
    /// The head commit [default: the working tree, uncommitted changes included].
    #[arg(long, value_name = "REV", requires = "base")]
    pub head: Option<String>,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz source.
    Dot,
    /// A Mermaid flowchart (GitHub renders it in Markdown).
    Mermaid,
    /// SVG, drawn by Graphviz `dot -Tsvg` (which must be installed).
    Svg,
    /// Packages, targets and edges as JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The binary.
    #[arg(value_name = "BIN")]
    pub binary: String,
    /// The package holding it, when its name is not unique.
    #[arg(short, long, value_name = "PACKAGE")]
    pub package: Option<String>,
    /// Explain why it is affected since the merge base of REV and the head, instead of why it
    /// is stale since it was built.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The head commit [default: the working tree, uncommitted changes included].
    #[arg(long, value_name = "REV", requires = "base")]
    pub head: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExplainFormat {
    /// For people.
    Text,
    /// For scripts, schema 1.
    Json,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The path, relative to the current directory or absolute; it need not exist.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}
