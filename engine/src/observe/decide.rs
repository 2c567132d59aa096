//! The freshness decision: one function over what a record says and what is observed now,
//! used by the pre-spawn fast path ([`crate::observe::quick`]) and the full check
//! ([`crate::observe::freshness::Checker`]) alike. They gather facts differently (the fast path has no
//! graph, so it cannot compare lock entries) but never decide differently.
//!
//! The answer is a list of [`Dirty`] reasons in the manner of cargo's `DirtyReason`: which
//! input, what it was, what it is. Empty means fresh.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cargo::flags::{CargoFlags, FeatureRequest};
use crate::error::Result;
use crate::records::format::LockedEntry;
use crate::records::format::Record;
use crate::records::inputs::{self, Content, Input};
use crate::stamp::Stamp;

/// Why a recorded build no longer describes the binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dirty {
    /// The binary file is gone.
    ExecutableMissing(PathBuf),
    /// The binary file is not the one that was built.
    ExecutableReplaced(PathBuf),
    /// The recorded commit is not in the repository.
    CommitMissing(String),
    /// Another workspace (a worktree sharing the target directory) built it.
    OtherWorkspace(PathBuf),
    /// `rustc -vV` says something else.
    Toolchain,
    /// The features asked for are not those it was built with.
    Features {
        /// The features it was built with.
        then: FeatureRequest,
        /// The features asked for now.
        now: FeatureRequest,
    },
    /// A variable cargo reads, or one the build read at compile time, has another value.
    Environment {
        /// The variable.
        variable: String,
        /// Its value at the build (`None`: unset).
        then: Option<String>,
        /// Its value now.
        now: Option<String>,
    },
    /// A file the build read holds something else now.
    Input {
        /// The path cargo reported.
        path: PathBuf,
        /// What it held.
        then: Content,
        /// What it holds.
        now: Content,
    },
    /// Lock entries the binary reaches differ, by crate name.
    LockEntries(BTreeSet<String>),
    /// The lock file changed, and the lock entries cannot be compared here.
    LockFileChanged,
    /// Files of a package whose build script names no `rerun-if-changed` changed
    /// (repository-relative).
    PackageFiles(BTreeSet<String>),
}

/// What the decision needs to know about now.
pub(crate) trait Facts {
    /// The workspace root now.
    fn workspace_root(&self) -> &Path;
    /// `rustc -vV` now.
    fn toolchain(&self) -> &str;
    /// Whether a target is asked for now (`--target`, `build.target`, `CARGO_BUILD_TARGET`):
    /// cargo then writes to `<target-dir>/<triple>/<profile>` rather than `<profile>`.
    fn explicit_target(&self) -> bool;
    /// The cargo flags asked for now.
    fn flags(&self) -> &CargoFlags;
    /// The environment cargo reads, now (see [`crate::cargo::toolchain::build_environment`]).
    fn environment(&self) -> &BTreeMap<String, String>;
    /// Whether the repository has the commit.
    fn has_commit(&mut self, commit: &str) -> bool;
    /// What `path` holds now; [`inputs::content_now`] unless the implementation shares the
    /// work between binaries.
    fn content_now(&mut self, path: &Path, recorded: &Input) -> Content {
        inputs::content_now(path, recorded)
    }
    /// The lock entries the record's binary reaches now; `None` when that cannot be told here.
    fn lock_entries_now(&mut self, record: &Record) -> Option<BTreeMap<String, LockedEntry>>;
    /// The paths of the record's scope whose content differs from what the build saw.
    fn changed_in_scope(&mut self, record: &Record) -> Result<BTreeSet<String>>;
}

/// Everything that makes `record` no longer describe its binary; empty when it is fresh.
pub(crate) fn decide(record: &Record, facts: &mut impl Facts) -> Result<Vec<Dirty>> {
    let mut dirty = Vec::new();
    let now = Stamp::of(&record.executable);
    if !now.exists {
        dirty.push(Dirty::ExecutableMissing(record.executable.clone()));
    } else if !now.same_file(&record.executable_stamp) {
        dirty.push(Dirty::ExecutableReplaced(record.executable.clone()));
    }
    // `--target` of the host and no `--target` are the same triple (one record) but two
    // builds in two directories: the binary this build makes is not the recorded one.
    if let Some(elsewhere) = output_for(record, facts.explicit_target()) {
        if Stamp::of(&elsewhere).exists {
            dirty.push(Dirty::ExecutableReplaced(elsewhere));
        } else {
            dirty.push(Dirty::ExecutableMissing(elsewhere));
        }
    }
    if !same_dir(&record.workspace_root, facts.workspace_root()) {
        dirty.push(Dirty::OtherWorkspace(record.workspace_root.clone()));
    }
    if !facts.has_commit(&record.commit) {
        dirty.push(Dirty::CommitMissing(record.commit.clone()));
    }
    if record.toolchain != facts.toolchain() {
        dirty.push(Dirty::Toolchain);
    }
    // The required features come from the manifest, which is an input: taking them from the
    // record is sound, since a manifest that changed makes the binary stale anyway.
    let features = facts
        .flags()
        .request_for(&record.binary.package, &record.required_features);
    if features != record.feature_request {
        dirty.push(Dirty::Features {
            then: record.feature_request.clone(),
            now: features,
        });
    }
    let environment = facts.environment();
    for variable in record.environment.keys().chain(environment.keys()) {
        let (then, now) = (record.environment.get(variable), environment.get(variable));
        if then != now {
            dirty.push(Dirty::Environment {
                variable: variable.clone(),
                then: then.cloned(),
                now: now.cloned(),
            });
            break;
        }
    }
    for (variable, then) in &record.env_deps {
        let now = std::env::var(variable).ok();
        if now != *then {
            dirty.push(Dirty::Environment {
                variable: variable.clone(),
                then: then.clone(),
                now,
            });
        }
    }
    let mut lock_changed = false;
    for (path, recorded) in &record.inputs {
        let now = facts.content_now(path, recorded);
        if now == recorded.content && now != Content::Unsettled {
            continue;
        }
        if *path == record.lock_file {
            lock_changed = true;
            continue;
        }
        dirty.push(Dirty::Input {
            path: path.clone(),
            then: recorded.content.clone(),
            now,
        });
    }
    if lock_changed {
        match facts.lock_entries_now(record) {
            None => dirty.push(Dirty::LockFileChanged),
            Some(now) => {
                let then = &record.lock_entries;
                let differing: BTreeSet<String> = now
                    .iter()
                    .chain(then)
                    .filter(|(key, _)| now.get(*key) != then.get(*key))
                    .map(|(_, entry)| entry.name.clone())
                    .collect();
                if !differing.is_empty() {
                    dirty.push(Dirty::LockEntries(differing));
                }
            }
        }
    }
    if !record.scope.is_empty() && !dirty.iter().any(|d| matches!(d, Dirty::CommitMissing(_))) {
        let changed = facts.changed_in_scope(record)?;
        if !changed.is_empty() {
            dirty.push(Dirty::PackageFiles(changed));
        }
    }
    Ok(dirty)
}

/// Where a build with (`explicit_target`) or without a target would write `record`'s binary,
/// when that is not where the recorded build wrote it: `<target-dir>/<triple>/<profile>/NAME`
/// against `<target-dir>/<profile>/NAME`.
fn output_for(record: &Record, explicit_target: bool) -> Option<PathBuf> {
    let name = record.executable.file_name()?;
    let profile_dir = record.executable.parent()?;
    let above = profile_dir.parent()?;
    let recorded_explicit = above.file_name() == Some(std::ffi::OsStr::new(&record.target));
    if recorded_explicit == explicit_target {
        return None;
    }
    let profile = profile_dir.file_name()?;
    let target_dir = if recorded_explicit {
        above.parent()?.to_owned()
    } else {
        above.join(&record.target)
    };
    Some(target_dir.join(profile).join(name))
}

/// Whether two paths name one directory (one of them may be reached through a symlink).
fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}

#[cfg(test)]
mod tests;
