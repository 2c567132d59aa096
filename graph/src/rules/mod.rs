//! The path rules: from changed paths and changed lock entries to affected packages and
//! binaries, with the reason for each. This is what `affected --base` answers and what
//! `explain` and `why` show; local freshness uses it only to explain a changed file.
//!
//! Pure, like the rest of this crate: everything works on graphs and lists the caller gathered.
//!
//! - [`config`]: `[workspace.metadata.rbee-graph]`, the configuration the rules (and the
//!   engine) read.
//! - [`PathRules`] (`classify`): which rule decides one path, in order: global files, the
//!   lock file, a package's file (with its role), `owners` globs, ignored, unowned.
//! - [`affected()`] and [`reasons_for`]: changed paths and lock entries, through the graphs of
//!   both ends, to affected binaries in build order with typed [`Reason`]s.
//! - [`TrustedReads`] (`reads`): what binaries' last builds read, where the engine found their
//!   read maps trustworthy; a file a binary read counts for it wherever it lives.

mod affected;
mod classify;
pub mod config;
mod reads;

pub use affected::{
    Affected, AffectedBinary, Change, Mode, Reason, ReasonKind, affected, reasons_for,
};
pub use classify::{GlobalRule, IgnoreRule, PathClass, PathRules};
pub use config::Config;
pub use reads::TrustedReads;
