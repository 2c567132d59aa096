use std::path::PathBuf;

/// Everything the engine can fail at. Each message says what is wrong and, where there is
/// one, what to do about it, in one line: the CLI prints it as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No git repository holds the workspace.
    #[error("{} is not inside a git repository; run rbee-graph from a git checkout (or `git init` one)", .0.display())]
    NotARepository(PathBuf),
    /// The repository has no work tree (a bare repository).
    #[error("the repository at {} has no work tree; run rbee-graph in a checkout, not a bare repository", .0.display())]
    BareRepository(PathBuf),
    /// A revision the user named does not exist.
    #[error("unknown revision `{rev}`: {reason}")]
    UnknownRevision {
        /// What the user typed.
        rev: String,
        /// What git said.
        reason: String,
    },
    /// The two ends share no history.
    #[error("`{base}` and `{head}` have no common ancestor; pick a base on the same history")]
    NoMergeBase {
        /// The base revision.
        base: String,
        /// The head revision.
        head: String,
    },
    /// The merge base is not in this shallow clone.
    #[error(
        "no merge base of `{base}` and `{head}` in this shallow clone; fetch more history (`git fetch --deepen=200 origin`, or `git fetch --unshallow`; in GitHub Actions, `fetch-depth: 0` in actions/checkout)"
    )]
    ShallowClone {
        /// The base revision.
        base: String,
        /// The head revision.
        head: String,
    },
    /// Reading from the repository failed.
    #[error("git: {0}")]
    Git(String),
    /// An object the comparison needs is not in this clone.
    #[error(
        "object {0} is not in this clone (a partial clone made with --filter lacks trees or blobs until git fetches them, which rbee-graph cannot do); fetch them with `git fetch --refetch origin`, or clone without --filter"
    )]
    MissingObject(String),
    /// The manifest the user pointed at does not exist.
    #[error("manifest not found: {}; pass --manifest-path to a workspace's Cargo.toml", .0.display())]
    ManifestNotFound(PathBuf),
    /// `cargo metadata` failed (invalid manifest, missing cargo, ...).
    #[error("`cargo metadata` failed{at}: {message}")]
    CargoMetadata {
        /// Where it ran, for a commit that is not checked out (` at <sha>`), else empty.
        at: String,
        /// Cargo's own error, reduced to one line.
        message: String,
    },
    /// The workspace configuration in `[workspace.metadata.rbee-graph]` is invalid.
    #[error("invalid configuration `workspace.metadata.rbee-graph.{key}`: {message}")]
    Config {
        /// The offending key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// A lock file could not be parsed.
    #[error("{file}{at}: {error}")]
    Lockfile {
        /// Which lock file.
        file: String,
        /// The commit it was read from, if any.
        at: String,
        /// The parse error (not a `source`: it is part of this one-line message already).
        error: rbee_graph_model::Error,
    },
    /// The workspace graph could not be built (a dependency cycle, ...).
    #[error(transparent)]
    Graph(#[from] rbee_graph_model::Error),
    /// No binary of the workspace has this name.
    #[error("no binary named `{name}` in the workspace{}", suggest(.suggestion))]
    UnknownBinary {
        /// What the user typed.
        name: String,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// No member package has this name.
    #[error("no package named `{name}` in the workspace{}", suggest(.suggestion))]
    UnknownPackage {
        /// What the user typed.
        name: String,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// A path the user named is not inside the repository.
    #[error("`{}` is not a path inside the repository at {}; name a file or directory in it", path.display(), repository.display())]
    PathOutsideRepository {
        /// What the user typed.
        path: PathBuf,
        /// The repository's work tree.
        repository: PathBuf,
    },
    /// Several packages have a binary of this name.
    #[error("binary `{name}` is in several packages ({}); pick one with {}", .packages.join(", "), .packages.iter().map(|p| format!("`-p {p}`")).collect::<Vec<_>>().join(" or "))]
    AmbiguousBinary {
        /// The binary name.
        name: String,
        /// The packages that have it.
        packages: Vec<String>,
    },
    /// Two binaries of one build would be written to the same file.
    #[error("binaries `{name}` of packages `{}` and `{}` are both written to {} and cannot be built together; build one at a time with `-p PACKAGE {name}`", .packages.0, .packages.1, .path.display())]
    SameOutput {
        /// The binary name.
        name: String,
        /// The two packages.
        packages: (String, String),
        /// The file both would be written to.
        path: PathBuf,
    },
    /// `rustc -vV` could not be run.
    #[error("cannot ask rustc for its version: {0}")]
    Toolchain(String),
    /// Cargo could not be started or its output not read.
    #[error("cannot run cargo: {0}")]
    Cargo(String),
    /// `cargo build` failed for some binaries; the others were built and recorded.
    #[error("cargo build failed for {}{}", .binaries.join(", "), first_error(.errors))]
    BuildFailed {
        /// The binaries cargo did not build.
        binaries: Vec<String>,
        /// The compiler's and cargo's error messages, one line each.
        errors: Vec<String>,
    },
    /// The `requires` configuration says this machine cannot build the binary.
    #[error("`{binary}` cannot be built on this machine: {}", describe_unbuildable(.why))]
    Unbuildable {
        /// The binary.
        binary: String,
        /// What is missing.
        why: rbee_graph_model::rules::config::Unbuildable,
    },
    /// A binary is stale and auto-build is off for it.
    #[error(
        "`{binary}` is not built and auto-build is off for it; run `rbee-graph build {binary}` or set auto-build"
    )]
    NotBuilt {
        /// The binary.
        binary: String,
    },
    /// The file watcher could not be set up.
    #[error("cannot watch the workspace: {0}")]
    Watch(String),
    /// Reading or writing a file failed.
    // The OS error is part of the message, not a `source`: a report that prints the chain
    // (anyhow's `{:#}`) would say it twice.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// A read map file (`--reads`) cannot be used.
    #[error("cannot use the read map {}: {message}; write one with `rbee-graph reads > FILE`", path.display())]
    ReadMap {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn suggest(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(name) => format!("; did you mean `{name}`?"),
        None => String::new(),
    }
}

impl Error {
    /// Whether the error is the user's input (exit status 2) rather than a failed build.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::BuildFailed { .. })
    }

    pub(crate) fn git(error: impl std::fmt::Display) -> Error {
        let message = one_line(&error.to_string());
        // A partial clone (`--filter=blob:none`, `--filter=tree:0`) lacks objects until git
        // fetches them on demand, which gix does not: say so instead of gix's words.
        if message.contains("could not be found") {
            let id = message
                .split_whitespace()
                .find(|w| w.len() >= 40 && w.bytes().all(|b| b.is_ascii_hexdigit()))
                .unwrap_or("an object")
                .to_owned();
            return Error::MissingObject(id);
        }
        Error::Git(message)
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |error| Error::Io { path, error }
    }
}

/// Reduces a multi-line message (cargo's, git's) to its most telling line: the first
/// `error:` line, with the file position cargo draws under it, or with the innermost cause
/// from a `Caused by:` section.
pub(crate) fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let Some(at) = lines
        .iter()
        .position(|l| l.starts_with("error"))
        .or(lines.first().map(|_| 0))
    else {
        return String::new();
    };
    let first = lines[at].trim_start_matches("error:").trim();
    if let Some(position) = lines.get(at + 1).and_then(|l| l.strip_prefix("-->")) {
        return format!("{first} ({})", position.trim());
    }
    match lines.last() {
        Some(last) if lines.contains(&"Caused by:") && *last != first => format!("{first}: {last}"),
        _ => first.to_owned(),
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `: error[E0425]: ... (and 2 more errors)`, or nothing when cargo printed none.
fn first_error(errors: &[String]) -> String {
    match errors {
        [] => String::new(),
        [one] => format!(": {one}"),
        [first, rest @ ..] => format!(
            ": {first} (and {} more error{})",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    }
}

fn describe_unbuildable(why: &rbee_graph_model::rules::config::Unbuildable) -> String {
    use rbee_graph_model::rules::config::Unbuildable;
    match why {
        Unbuildable::Os { needs, this } => {
            format!("it builds on {} only, and this is {this}", needs.join(", "))
        }
        Unbuildable::Env(var) => format!("{var} is not set"),
        Unbuildable::Program(program) => format!("`{program}` is not on PATH"),
    }
}
