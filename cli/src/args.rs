//! The command line, as clap derive types: what the user typed, checked for shape only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Which binaries of a Cargo workspace does a git change affect, and in what order must they
/// be rebuilt?
#[derive(Debug, Parser)]
#[command(name = "rbee-graph", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
Environment:
  RBEE_GRAPH_PROFILE     the profile when none is given and none is configured
  RBEE_GRAPH_AUTO_BUILD  0/1: whether `ensure` may build (overrides `auto-build`)
  RBEE_GRAPH_LOG         log filter (`debug`, `rbee_graph_engine=trace`, ...)
  CARGO                  the cargo to run
  CARGO_TARGET_DIR       cargo's target directory, where the records are kept too
  NO_COLOR               no colour

Exit status:
  0    success (whatever is stale or affected)
  2    bad input, or an error that stopped rbee-graph (one line on stderr)
  101  a build failed (as cargo)

Also runs as `cargo rbee-graph ...`.";

impl Command {
    /// The cargo flags of the command, for the ones that take them.
    pub fn cargo_args(&self) -> Option<&CargoArgs> {
        match self {
            Command::Build(a) => Some(&a.cargo),
            Command::Ensure(a) => Some(&a.cargo),
            Command::Status(a) => Some(&a.cargo),
            Command::Explain(a) => Some(&a.cargo),
            Command::Watch(a) => Some(&a.cargo),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the binaries a change affects: since --base, or since each binary was built.
    Affected(AffectedArgs),
    /// Build the stale binaries (all of them, the named ones, or a cascade), in as few cargo
    /// runs as their features allow.
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
    /// Look at recent commits: which paths make them affect every binary, and the
    /// `ignore`/`owners` configuration that would stop it, with the evidence.
    Doctor(DoctorArgs),
    /// Print what each recorded build read (a read map), for `affected --reads FILE` in a
    /// later run (a CI job keeps it as an artifact).
    Reads(ReadsArgs),
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
    #[command(flatten)]
    pub cargo: CargoArgs,
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

/// Cargo's own flags, passed through to every cargo rbee-graph runs.
#[derive(Debug, Args)]
#[command(next_help_heading = "Cargo options")]
pub struct CargoArgs {
    /// Space or comma separated list of features to activate.
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Activate all available features.
    #[arg(long)]
    pub all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    pub no_default_features: bool,
    /// Build for the target triple.
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Directory for all generated artifacts (and rbee-graph's records).
    #[arg(long, value_name = "DIRECTORY")]
    pub target_dir: Option<PathBuf>,
    /// Assert that `Cargo.lock` will remain unchanged.
    #[arg(long)]
    pub locked: bool,
    /// Run without accessing the network.
    #[arg(long)]
    pub offline: bool,
    /// Equivalent to specifying both --locked and --offline.
    #[arg(long)]
    pub frozen: bool,
    /// Number of parallel jobs, defaults to # of CPUs.
    #[arg(short, long, value_name = "N", allow_hyphen_values = true)]
    pub jobs: Option<String>,
    /// Use verbose output (-vv very verbose): cargo's, and rbee-graph's own at debug level.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Do not print cargo's or rbee-graph's progress, only errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Coloring: auto, always, never.
    #[arg(long, value_name = "WHEN", value_parser = ["auto", "always", "never"])]
    pub color: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Use the release profile (for `status`, `affected` and `explain`: compare with the
    /// release builds' records; nothing is built).
    #[arg(short, long, conflicts_with = "profile")]
    pub release: bool,
    /// Use this profile [default: RBEE_GRAPH_PROFILE, else `profile` in the configuration,
    /// else dev].
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
    /// Also use this read map (written by `rbee-graph reads`); the records in the target
    /// directory are used without it. A file a binary's build read counts for it, and a file
    /// outside every package that no build read counts for none.
    #[arg(long, value_name = "FILE", requires = "base")]
    pub reads: Vec<std::path::PathBuf>,
    /// What to answer when the base cannot be compared with (unknown, all zeros as on a first
    /// push, not fetched, no merge base in a shallow clone): `error` (exit 2), or `all`
    /// (every binary, reason `unknown-base`).
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = IfBaseMissing::Error, requires = "base")]
    pub if_base_missing: IfBaseMissing,
    /// Use the path rules alone, no read maps.
    #[arg(long, requires = "base", conflicts_with = "reads")]
    pub no_read_maps: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
    pub format: AffectedFormat,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// How many commits back to look (first parents of HEAD).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub commits: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

#[derive(Debug, Args)]
pub struct ReadsArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IfBaseMissing {
    /// Fail, saying why.
    Error,
    /// Every binary is affected.
    All,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AffectedFormat {
    /// One line per binary with its first reason.
    Text,
    /// The full answer, schema 1.
    Json,
    /// `{"include":[{"bin":..,"package":..}]}` for a GitHub Actions matrix.
    GithubMatrix,
    /// One line of cargo arguments selecting everything affected (`-p P --bin B ...`; with
    /// --tests, `-p P ...`), for one `cargo build` or `cargo test` in which shared
    /// dependencies compile once. Empty when nothing is affected.
    CargoArgs,
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
    /// How to report what was built: `human`, or `json` (schema 1) on stdout.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub cargo: CargoArgs,
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
    /// How to report the path: `human` (the path alone), or `json` (schema 1).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub cargo: CargoArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Output format (`--message-format human|json` as for `build` and `ensure`).
    #[arg(long, visible_alias = "message-format", value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub cargo: CargoArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// For people.
    Human,
    /// For scripts: one JSON document on stdout.
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusFormat {
    /// One line per binary.
    #[value(alias = "human")]
    Text,
    /// `{"schema":1,"binaries":[...]}`.
    Json,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("highlight").args(["affected", "only_affected"]).multiple(true)))]
pub struct GraphArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Highlight the affected packages and binaries: since --base, or without it, the stale
    /// ones (since each binary was built). The changes that caused them are drawn as cause
    /// nodes, with an edge to what each reaches first.
    #[arg(long)]
    pub affected: bool,
    /// Draw only the affected packages and binaries and the changes that caused them
    /// (implies --affected).
    #[arg(long)]
    pub only_affected: bool,
    /// Compare from the merge base of REV and the head (with --affected or --only-affected).
    #[arg(long, value_name = "REV", requires = "highlight")]
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
    #[command(flatten)]
    pub cargo: CargoArgs,
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
