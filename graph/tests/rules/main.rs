//! The path rules as a specification: changed paths (and lock entries) in, affected packages
//! and binaries with their reasons out, over the committed metadata of the fixtures
//! (`testdata/metadata/*.json`, checked against the fixtures by `testdata/tests/metadata.rs`).
//! Pure and fast: no git, no cargo, no file system beyond the committed files read at compile
//! time.
//!
//! Each case is `check(case, expect)` (in `common`), where `expect` is the answer rendered one
//! line per affected binary, in build order, after a line of the affected packages. The
//! command-line tests (`cli/tests/integration/`) keep a few of these end to end, and the cases
//! that need git or cargo for real.

mod common;
mod configuration;
mod global;
mod layouts;
mod lockfile;
mod packages;
mod realistic;
