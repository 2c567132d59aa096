use std::fmt;

/// Everything that can go wrong while building or querying the model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `cargo metadata` output could not be parsed.
    #[error("cannot parse `cargo metadata` output: {0}")]
    Metadata(#[source] serde_json::Error),
    /// `Cargo.lock` is not valid TOML or lacks the fields every lock file has.
    #[error("not a valid lock file: {0}; regenerate it with `cargo generate-lockfile`")]
    Lockfile(String),
    /// Packages depend on each other in a cycle through normal or build dependencies.
    #[error("dependency cycle between packages: {}", Names(.0))]
    Cycle(Vec<String>),
    /// The workspace configuration in `[workspace.metadata.rbee-graph]` is invalid.
    #[error("invalid configuration `workspace.metadata.rbee-graph.{key}`: {message}")]
    Config {
        /// The offending key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// The configured spawn edges form a cycle.
    #[error("spawn cycle between binaries: {}", Names(.0))]
    SpawnCycle(Vec<String>),
}

struct Names<'a>(&'a [String]);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" -> "))
    }
}
