//! The pre-spawn fast path: is a binary fresh, answered without the workspace graph.
//!
//! Every record carries the scope of its binary: the paths whose change could make it stale
//! (see [`crate::freshness::scope_for`]). When nothing in that scope differs from what the
//! build saw, and the toolchain, the environment and the binary file are as recorded, the
//! binary is fresh, whatever the rules would say about paths outside the scope. So this path
//! reads the root manifest (for the profile and the cascade), the cached `rustc -vV`, the
//! records, and asks git about the scope only: no cargo, no rustc, no graph.
//!
//! It only ever answers "fresh". Anything else (a change in scope, a missing or ambiguous
//! record, an unreadable file) sends the caller down the full path, which decides, explains and
//! builds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::config::Config;
use crate::metadata_cache;
use crate::profile::Profile;
use crate::record::{self, Record};
use crate::repo::Repo;
use crate::stamp::Stamp;

/// The path of `binary` (and, with `cascade`, of everything it spawns, all fresh), if every one
/// of them is certainly fresh; `None` when the full check must decide.
pub fn fresh_path(
    manifest_path: Option<&Path>,
    binary: &str,
    package: Option<&str>,
    cascade: bool,
    asked_profile: Option<&Profile>,
) -> Option<PathBuf> {
    let start = metadata_cache::start_manifest(manifest_path)?;
    let root = metadata_cache::workspace_root(&start)?;
    let manifest = metadata_cache::read_toml(&root.join("Cargo.toml"))?;
    let metadata = manifest.get("workspace").and_then(|w| w.get("metadata"));
    let config = match metadata {
        Some(metadata) => {
            Config::from_workspace_metadata(&serde_json::to_value(metadata).ok()?).ok()?
        }
        None => Config::default(),
    };
    let profile = Profile::choose(asked_profile, config.profile.as_deref());
    let state_dir = metadata_cache::target_directory(&root).join("rbee-graph");
    let toolchain = crate::toolchain::rustc_version(&root, &state_dir).ok()?;
    let triple = crate::toolchain::host_triple(&toolchain).to_owned();
    let records_dir = state_dir.join("records").join(&triple).join(profile.name());

    let mut names = vec![binary.to_owned()];
    if cascade {
        let mut seen = BTreeSet::from([binary.to_owned()]);
        let mut next = 0;
        while next < names.len() {
            for spawned in config.spawns.get(&names[next]).into_iter().flatten() {
                if seen.insert(spawned.clone()) {
                    names.push(spawned.clone());
                }
            }
            next += 1;
        }
    }
    let environment = crate::toolchain::build_environment();
    let repo = Repo::discover(&root).ok()?;
    let mut changed: BTreeMap<(ObjectId, Vec<String>), BTreeSet<String>> = BTreeMap::new();
    let mut path = None;
    for (i, name) in names.iter().enumerate() {
        // Only the asked binary may be pinned to a package; spawned ones are found by name.
        let record = find_record(&records_dir, name, if i == 0 { package } else { None })?;
        if record.toolchain != toolchain
            || record.environment != environment
            || crate::freshness::changed_env_dep(&record.env_deps).is_some()
            || Stamp::of(&record.executable) != record.executable_stamp
        {
            return None;
        }
        let commit = ObjectId::from_hex(record.commit.as_bytes()).ok()?;
        let key = (commit, record.scope.clone());
        if !changed.contains_key(&key) {
            if !repo.has_commit(commit) {
                return None;
            }
            let paths = repo.changed_in_worktree_under(commit, &record.scope).ok()?;
            changed.insert(key.clone(), paths);
        }
        if !unchanged_since(&repo, &record, &changed[&key])? {
            return None;
        }
        if i == 0 {
            path = Some(record.executable.clone());
        }
    }
    tracing::debug!("fresh by the fast path: {}", names.join(", "));
    path
}

/// The one record of a binary called `name` (in `package`, if given); `None` when there is no
/// record or several packages have one (the full path asks which one is meant).
fn find_record(records_dir: &Path, name: &str, package: Option<&str>) -> Option<Record> {
    let file_name = format!("{name}.json");
    let path = match package {
        Some(package) => records_dir.join(package).join(&file_name),
        None => {
            let mut found = std::fs::read_dir(records_dir)
                .ok()?
                .flatten()
                .map(|entry| entry.path().join(&file_name))
                .filter(|path| path.is_file());
            let first = found.next()?;
            if found.next().is_some() {
                return None;
            }
            first
        }
    };
    let record = record::parse(&std::fs::read(path).ok()?).ok()?;
    (record.binary.name == name).then_some(record)
}

/// Whether no path of the record's scope differs in content from what the build saw.
fn unchanged_since(repo: &Repo, record: &Record, changed: &BTreeSet<String>) -> Option<bool> {
    let hash_now = |path: &str| Ok(repo.hash_on_disk(path)?.map(|id| id.to_string()));
    let differing =
        crate::freshness::changed_since_build(record, changed, &record.scope, hash_now).ok()?;
    Some(differing.is_empty())
}
