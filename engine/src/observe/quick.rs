//! The pre-spawn fast path: is a binary fresh, answered without the workspace graph.
//!
//! Every record lists every input its build read. When none differs from what the build saw
//! (stat first, hash only what moved), and the toolchain, the environment and the binary file
//! are as recorded, the binary is fresh: the same decision as the full check
//! ([`crate::observe::decide`]). So this path reads the root manifest (for the profile and the
//! cascade), the cached `rustc -vV`, the records, and stats the inputs; git is asked only
//! about the packages whose build script names no `rerun-if-changed`. No cargo, no rustc, no
//! graph: a changed lock file goes to the full check, which compares the entries.
//!
//! It only ever answers "fresh". Anything else (a change in scope, a missing or ambiguous
//! record, an unreadable file) sends the caller down the full path, which decides, explains and
//! builds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::cargo::flags::CargoFlags;
use crate::cargo::profile::Profile;
use crate::git::repo::Repo;
use crate::observe::decide::Facts;
use crate::observe::freshness::ScopeCache;
use crate::records::format::LockedEntry;
use crate::records::format::Record;
use rbee_graph_model::rules::config::Config;

/// The path of `binary` (and, with `cascade`, of everything it spawns, all fresh), if every one
/// of them is certainly fresh; `None` when the full check must decide.
pub fn fresh_path(
    manifest_path: Option<&Path>,
    binary: &str,
    package: Option<&str>,
    cascade: bool,
    asked_profile: Option<&Profile>,
    flags: &CargoFlags,
) -> Option<PathBuf> {
    let start = crate::cargo::layout::start_manifest(manifest_path)?;
    let root = crate::cargo::layout::workspace_root(&start)?;
    let manifest = crate::cargo::layout::read_toml(&root.join("Cargo.toml"))?;
    let metadata = manifest.get("workspace").and_then(|w| w.get("metadata"));
    let config = match metadata {
        Some(metadata) => {
            Config::from_workspace_metadata(&serde_json::to_value(metadata).ok()?).ok()?
        }
        None => Config::default(),
    };
    let profile = Profile::choose(asked_profile, config.profile.as_deref());
    let state_dir = crate::cargo::layout::target_directory(&root).join("rbee-graph");
    let toolchain = crate::cargo::toolchain::rustc_version(&root, &state_dir).ok()?;
    let (triple, explicit_target) = crate::cargo::toolchain::build_target(&root, &toolchain, flags);
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
    let mut facts = QuickFacts {
        flags: flags.clone(),
        repo: Repo::discover(&root).ok()?,
        workspace_root: root,
        toolchain,
        explicit_target,
        environment: crate::cargo::toolchain::build_environment(),
        scopes: ScopeCache::default(),
    };
    let mut path = None;
    for (i, name) in names.iter().enumerate() {
        // Only the asked binary may be pinned to a package; spawned ones are found by name.
        let record = find_record(&records_dir, name, if i == 0 { package } else { None })?;
        if !crate::observe::decide::decide(&record, &mut facts)
            .ok()?
            .is_empty()
        {
            return None;
        }
        if i == 0 {
            path = Some(record.executable.clone());
        }
    }
    tracing::debug!("fresh by the fast path: {}", names.join(", "));
    path
}

/// What the fast path knows: no graph, so a changed lock file is left to the full check.
struct QuickFacts {
    workspace_root: PathBuf,
    flags: CargoFlags,
    toolchain: String,
    explicit_target: bool,
    environment: BTreeMap<String, String>,
    repo: Repo,
    scopes: ScopeCache,
}

impl Facts for QuickFacts {
    fn workspace_root(&self) -> &Path {
        &self.workspace_root
    }

    fn toolchain(&self) -> &str {
        &self.toolchain
    }

    fn explicit_target(&self) -> bool {
        self.explicit_target
    }

    fn flags(&self) -> &CargoFlags {
        &self.flags
    }

    fn environment(&self) -> &BTreeMap<String, String> {
        &self.environment
    }

    fn has_commit(&mut self, commit: &str) -> bool {
        ObjectId::from_hex(commit.as_bytes()).is_ok_and(|id| self.repo.has_commit(id))
    }

    fn lock_entries_now(&mut self, _: &Record) -> Option<BTreeMap<String, LockedEntry>> {
        None
    }

    fn changed_in_scope(&mut self, record: &Record) -> crate::Result<BTreeSet<String>> {
        self.scopes.changed(&self.repo, record)
    }
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
    let record = crate::records::format::parse(&std::fs::read(path).ok()?).ok()?;
    (record.binary.name == name).then_some(record)
}
