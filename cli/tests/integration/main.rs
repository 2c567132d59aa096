//! Integration tests: the real `rbee-graph` binary on real, temporary git repositories.
//!
//! Each test copies a fixture from `testdata/repos/` into its own temporary directory with
//! [`rbee_graph_testdata::Repo`], changes it with git, runs the binary and checks what it prints.
//! The `affected --base` modules run no cargo build (only `cargo metadata`, through the binary);
//! `cascade` and `records` build the fixture for real, each test in its own repository.
//!
//! The modules follow the contract (`docs/design.md`): one per group of path rules (a few end
//! to end each; the cases are in `graph/tests/rules/`), then
//! history (merge-base, renames, packages added or removed), symlinks and submodules (`links`),
//! the working tree, other workspace
//! layouts, output formats and bad input. The helpers are in `util`: every process a test starts
//! (the binary, cargo, a fixture's daemons) gets the same environment from
//! `util::apply_env_policy`, cargo runs are counted through `util::CargoShim`, and a test that
//! cannot run here says `SKIPPED: ...` (`util::skip`), or fails on CI (`util::skip_unless_ci`).
//! `snapshots` compares whole text outputs, and the README's examples, with the temporary root
//! and commit ids redacted.

mod cascade;
mod ci;
mod differential;
mod doctor;
mod errors;
mod explain;
mod faults;
mod formats;
mod global;
mod history;
mod hostile;
mod inputs;
mod layouts;
mod library;
mod links;
mod lockfile;
mod oracle;
mod packages;
mod pictures;
mod reads;
mod realistic;
mod records;
mod snapshots;
mod util;
mod variants;
mod watch;
mod worktree;
