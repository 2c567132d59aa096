//! `affected --base`: which binaries a change between two revisions affects.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use gix::ObjectId;
use rbee_graph_model::Lockfile;
use rbee_graph_model::path::{join, seen_through_links};

use crate::cargo::layout;
use crate::cargo::snapshot::{self, Snapshot};
use crate::error::{Error, Result};
use crate::git::commit_id::CommitId;
use crate::git::repo::Repo;
use crate::observe::freshness::{StaleReason, Verdict};
use crate::ops::status::StatusOptions;
use crate::records::read_map::{self, ReadMaps};
use crate::records::test_reads;
use rbee_graph_model::rules::TrustedReads;
use rbee_graph_model::rules::{self, Affected, Change, Mode, PathRules};

/// What to compare.
#[derive(Clone, Debug, Default)]
pub struct AffectedOptions {
    /// The workspace manifest; `None` finds it from the current directory, as cargo does.
    pub manifest_path: Option<PathBuf>,
    /// The base revision; the comparison starts at `merge-base(base, head)`.
    pub base: String,
    /// The head revision; `None` is the working tree (HEAD plus every uncommitted change).
    pub head: Option<String>,
    /// Binaries, or packages whose tests must run.
    pub mode: Mode,
    /// Read map files (`rbee-graph reads`) to use besides the records in the target directory.
    pub reads: Vec<PathBuf>,
    /// Use no read map at all: the path rules alone.
    pub no_read_maps: bool,
    /// What to answer when the base cannot be compared with (unknown, all zeros, not fetched,
    /// no merge base in this clone).
    pub if_base_missing: IfBaseMissing,
}

/// `--if-base-missing`: a CI job on a first push, a force push or a manual run has no usable
/// base.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IfBaseMissing {
    /// Fail with the reason (exit status 2).
    #[default]
    Error,
    /// Every binary is affected, with the reason `unknown-base`.
    All,
}

/// The head of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Head {
    /// A commit.
    Commit(CommitId),
    /// The working tree.
    Worktree,
}

/// The answer to `affected --base`.
#[derive(Clone, Debug)]
pub struct AffectedReport {
    /// The merge base the comparison started at; `None` in local mode (each binary against
    /// its own build record).
    pub base: Option<CommitId>,
    /// What it was compared with.
    pub head: Head,
    /// Every changed path, repository-relative, sorted.
    pub changed_paths: Vec<String>,
    /// Affected packages and binaries.
    pub affected: Affected,
    /// Which binaries' read maps were used; `None` when there were none.
    pub read_maps: Option<ReadMapUse>,
}

/// How read maps took part in an answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadMapUse {
    /// Binaries whose map describes the base: what they read decided for them.
    pub trusted: Vec<rbee_graph_model::Binary>,
    /// Binaries whose map is older than a change in their scope: the path rules decided.
    pub untrusted: Vec<rbee_graph_model::Binary>,
}

/// Compares two revisions (or a revision and the working tree) of the workspace.
pub fn affected(options: &AffectedOptions) -> Result<AffectedReport> {
    let comparison = match Comparison::new(options) {
        Ok(comparison) => comparison,
        Err(e) if options.if_base_missing == IfBaseMissing::All && base_is_missing(&e, options) => {
            tracing::warn!("{e}; every binary is affected");
            return everything_for_unknown_base(options);
        }
        Err(e) => return Err(e),
    };
    let affected = rules::affected(&comparison.rules, &comparison.change(), options.mode)?;
    let read_maps = comparison.reads.as_ref().map(|r| ReadMapUse {
        trusted: r.trusted.keys().cloned().collect(),
        untrusted: r.untrusted.iter().cloned().collect(),
    });
    Ok(AffectedReport {
        base: Some(comparison.base.into()),
        head: comparison.head,
        changed_paths: comparison.paths.into_iter().collect(),
        affected,
        read_maps,
    })
}

fn base_is_missing(error: &Error, options: &AffectedOptions) -> bool {
    match error {
        Error::UnknownRevision { rev, .. } => *rev == options.base,
        Error::NoMergeBase { .. } | Error::ShallowClone { .. } => true,
        _ => false,
    }
}

/// Every binary of the head, each with the reason `unknown-base`.
fn everything_for_unknown_base(options: &AffectedOptions) -> Result<AffectedReport> {
    let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
    let (head, graph) = match &options.head {
        Some(rev) => {
            let commit = worktree.repo.resolve_commit(rev)?;
            let root = worktree.snapshot.graph.workspace_root().to_owned();
            let snapshot = snapshot::load_commit(&worktree.repo, commit, &root)?
                .ok_or_else(|| no_workspace(rev, &root))?;
            (Head::Commit(commit.into()), snapshot.graph)
        }
        None => (Head::Worktree, worktree.snapshot.graph),
    };
    let pairs = graph.spawn_pairs(&worktree.snapshot.config.spawns);
    let binaries = graph
        .order_binaries(graph.binaries().map(|(_, b)| b), &pairs)?
        .into_iter()
        .map(|binary| rules::AffectedBinary {
            binary,
            reasons: vec![rules::Reason::UnknownBase {
                base: options.base.clone(),
            }],
        })
        .collect();
    let packages = graph.members().map(|(_, p)| p.name.clone()).collect();
    Ok(AffectedReport {
        base: None,
        head,
        changed_paths: Vec::new(),
        affected: Affected { packages, binaries },
        read_maps: None,
    })
}

/// Everything gathered to compare two ends: the merge base, the head, the changed paths and
/// lock entries, and the graphs of both ends. [`Comparison::change`] is what the path rules
/// take.
pub struct Comparison {
    /// The merge base the comparison starts at.
    pub base: ObjectId,
    /// What it is compared with.
    pub head: Head,
    /// Every changed path, repository-relative, and every path a changed file is also reached
    /// as through a symlink of the head.
    pub paths: BTreeSet<String>,
    /// The workspace at the head.
    pub head_snapshot: Snapshot,
    /// The head's path rules.
    pub rules: PathRules,
    base_snapshot: Option<Snapshot>,
    base_with_lock: Option<rbee_graph_model::WorkspaceGraph>,
    lock_path: String,
    lock_entries: BTreeSet<rbee_graph_model::LockKey>,
    /// The read maps, checked against the base; `None` when there are none.
    pub reads: Option<TrustedReads>,
    /// With `--tests`, what each package's units read (cargo's dep-info); `None`: nothing.
    test_reads: Option<BTreeMap<String, BTreeSet<String>>>,
    /// The changed manifests whose feature requests differ, with the dependencies they ask
    /// differently of.
    declarations: BTreeMap<String, BTreeSet<String>>,
}

impl Comparison {
    /// Resolves the revisions and gathers what changed between them.
    pub fn new(options: &AffectedOptions) -> Result<Comparison> {
        // The workspace (metadata, lock file, graph) and the revisions (what git says changed)
        // do not depend on each other: they are read side by side. The repository is found from
        // the workspace root cargo would pick; in the rare case the loaded workspace says
        // otherwise, the revisions are read again in its repository.
        // What the walk for untracked files found is kept beside the other caches, in the
        // target directory.
        let early_repo = layout::start_manifest(options.manifest_path.as_deref())
            .and_then(|start| layout::workspace_root(&start))
            .and_then(|root| {
                let cache = layout::target_directory(&root)
                    .join("rbee-graph")
                    .join("untracked.json");
                Repo::discover(&root)
                    .ok()
                    .map(|repo| repo.keep_untracked_walk_in(cache))
            });
        let (worktree, early) = std::thread::scope(|scope| {
            let loading = scope.spawn(|| snapshot::load_worktree(options.manifest_path.as_deref()));
            let early = early_repo
                .as_ref()
                .map(|repo| (repo.workdir().to_owned(), Revisions::of(repo, options)));
            let worktree = loading
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (worktree, early)
        });
        let worktree = worktree?;
        let repo = &worktree.repo;
        let Revisions {
            base,
            head,
            paths,
            worktree_differs,
            links,
        } = match early {
            Some((workdir, revisions)) if workdir == repo.workdir() => revisions?,
            _ => Revisions::of(repo, options)?,
        };
        let workspace_root = worktree.snapshot.graph.workspace_root().to_owned();
        let outputs = worktree.target_dir_in_repo();
        let state_dir = worktree.state_dir();
        let head_name = options.head.as_deref().unwrap_or("HEAD");
        // `--head REV`: the work tree's (cached) graph is REV's unless they differ in a
        // manifest or in which target-discovery files exist (an edit of a `lib.rs` is not).
        let head_is_worktree_graph = match &head {
            Head::Worktree => true,
            Head::Commit(commit) => {
                !graph_may_differ(repo, commit.object_id(), &Head::Worktree, &worktree_differs)?
            }
        };
        let through_links = seen_through_links(&paths, &links);
        if !through_links.is_empty() {
            tracing::debug!(?through_links, "changed paths seen through symlinks");
        }
        let git_paths = paths.clone();
        let paths: BTreeSet<String> = paths.union(&through_links).cloned().collect();
        let head_snapshot: Snapshot = match head {
            Head::Worktree => worktree.snapshot,
            Head::Commit(commit) if head_is_worktree_graph => {
                let mut snapshot = worktree.snapshot;
                let lock_path = join(&workspace_root, "Cargo.lock");
                if worktree_differs.contains(&lock_path) {
                    let lock = read_lock(repo, commit.object_id(), &lock_path)?;
                    snapshot.graph = snapshot.graph_with_lock(lock.as_ref())?;
                    snapshot.set_lock(lock);
                }
                snapshot
            }
            Head::Commit(commit) => {
                match snapshot::load_commit(repo, commit.object_id(), &workspace_root) {
                    Ok(Some(snapshot)) => snapshot,
                    Ok(None) => return Err(no_workspace(head_name, &workspace_root)),
                    Err(e @ Error::CargoMetadata { .. }) => {
                        tracing::warn!("{e}; reading the head with the working tree's graph");
                        worktree.snapshot
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let base_snapshot = if through_links.iter().any(|p| snapshot::shapes_the_graph(p))
            || graph_may_differ(repo, base, &head, &git_paths)?
        {
            match snapshot::load_commit(repo, base, &workspace_root) {
                Err(e @ Error::CargoMetadata { .. }) => {
                    tracing::warn!("{e}; reading the base with the head's graph");
                    None
                }
                other => other?,
            }
        } else {
            None
        };

        let lock_path = join(&workspace_root, "Cargo.lock");
        let mut lock_entries = BTreeSet::new();
        let mut base_with_lock = None;
        if paths.contains(&lock_path) {
            let base_lock = match &base_snapshot {
                Some(snapshot) => snapshot.lock().cloned(),
                None => read_lock(repo, base, &lock_path)?,
            };
            lock_entries = Lockfile::changed_entries(base_lock.as_ref(), head_snapshot.lock());
            // An entry that only the base lock has (removed, or the whole lock file deleted) is
            // unknown to the head graph: reach it through the base's lock.
            if base_snapshot.is_none() && !lock_entries.is_empty() {
                base_with_lock = Some(head_snapshot.graph_with_lock(base_lock.as_ref())?);
            }
        }

        let rules =
            PathRules::new(&workspace_root, &head_snapshot.config)?.ignoring_outputs(outputs);
        let reads = if options.no_read_maps {
            None
        } else {
            let mut maps = ReadMaps::from_records(&state_dir, repo.workdir());
            for file in &options.reads {
                maps.extend(ReadMaps::from_file(file)?);
            }
            if maps.binaries.is_empty() {
                None
            } else {
                Some(read_map::trusted(&maps, repo, &head_snapshot.graph, base)?)
            }
        };
        // Test targets have no records; with `--tests`, cargo's dep-info says what the
        // units of each package read.
        let test_reads = (options.mode == Mode::Tests && !options.no_read_maps)
            .then(|| {
                let target_dir = state_dir.parent().unwrap_or(&state_dir);
                let workspace_dir = repo.workdir().join(&workspace_root);
                test_reads::from_dep_info(
                    target_dir,
                    &workspace_dir,
                    repo.workdir(),
                    &head_snapshot.graph,
                )
            })
            .filter(|reads| !reads.is_empty());
        let declarations = changed_declarations(repo, base, &head, &git_paths)?;
        Ok(Comparison {
            reads,
            test_reads,
            declarations,
            base,
            head,
            paths,
            head_snapshot,
            rules,
            base_snapshot,
            base_with_lock,
            lock_path,
            lock_entries,
        })
    }

    /// The inputs of the path rules.
    pub fn change(&self) -> Change<'_> {
        Change {
            head: &self.head_snapshot.graph,
            base: self
                .base_snapshot
                .as_ref()
                .map(|s| &s.graph)
                .or(self.base_with_lock.as_ref()),
            lock_path: &self.lock_path,
            paths: &self.paths,
            lock_entries: &self.lock_entries,
            spawns: &self.head_snapshot.config.spawns,
            reads: self.reads.as_ref(),
            test_reads: self.test_reads.as_ref(),
            declarations: Some(&self.declarations),
        }
    }
}

/// What git says about the two ends, whatever the workspace is.
struct Revisions {
    /// The merge base.
    base: ObjectId,
    head: Head,
    /// Every path git sees changed between the base and the head.
    paths: BTreeSet<String>,
    /// With `--head REV`: the paths the work tree differs from REV in.
    worktree_differs: BTreeSet<String>,
    /// The head's symlinks that point inside the repository, with where they point.
    links: Vec<(String, String)>,
}

impl Revisions {
    fn of(repo: &Repo, options: &AffectedOptions) -> Result<Revisions> {
        let head_commit = match &options.head {
            Some(rev) => repo.resolve_commit(rev)?,
            None => repo.head_commit()?.ok_or_else(|| Error::UnknownRevision {
                rev: "HEAD".to_owned(),
                reason: "the repository has no commits yet".to_owned(),
            })?,
        };
        let base_commit = repo.resolve_commit(&options.base)?;
        let head_name = options.head.as_deref().unwrap_or("HEAD");
        let base = repo.merge_base(base_commit, head_commit, (&options.base, head_name))?;

        let (paths, head) = match &options.head {
            Some(_) => (
                repo.changed_between(base, head_commit)?,
                Head::Commit(head_commit.into()),
            ),
            None => {
                let _phase = crate::progress::phase("comparing the working tree");
                (repo.changed_in_worktree(base)?, Head::Worktree)
            }
        };
        tracing::debug!(changed = paths.len(), base = %base, "compared");
        // `--head REV`: whether the work tree's graph is REV's (see `Comparison::new`).
        let worktree_differs = match head {
            Head::Worktree => BTreeSet::new(),
            Head::Commit(commit) => repo.changed_in_worktree(commit.object_id())?,
        };
        // Cargo builds what a symlink points at; git only sees the link. The rules get each
        // changed path also as it is seen through the head's links. A commit has the work
        // tree's links except where the work tree differs from it (the index is cheaper to
        // read than its tree).
        let links = match head {
            Head::Worktree => repo.symlinks_in_worktree(&paths)?,
            Head::Commit(commit) => repo.symlinks_at(commit.object_id(), &worktree_differs)?,
        };
        Ok(Revisions {
            base,
            head,
            paths,
            worktree_differs,
            links,
        })
    }
}

/// For each changed manifest (`paths`), the dependencies whose feature requests differ between
/// `base` and `head` (by package name): through feature unification, the crates other members'
/// builds compile with them may be compiled with other features now. A request is what a
/// dependency entry asks (`default-features`, `features`) plus the `[features]` items that
/// name it (`dep:x`, `x/f`, `x?/f`); a plain entry (default features, no more) asks what no
/// entry asks, so adding or removing one (or a package of such) changes nothing. Not seen: a
/// plain entry that turns a crate's default features back on for members that turned them
/// off.
fn changed_declarations(
    repo: &Repo,
    base: ObjectId,
    head: &Head,
    paths: &BTreeSet<String>,
) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut changed = BTreeMap::new();
    for path in paths.iter().filter(|p| p.ends_with("/Cargo.toml")) {
        let then = requests(repo.read_at(base, path)?);
        let now = match head {
            Head::Commit(commit) => requests(repo.read_at(commit.object_id(), path)?),
            Head::Worktree => requests(std::fs::read(repo.workdir().join(path)).ok()),
        };
        let names: BTreeSet<&String> = then.keys().chain(now.keys()).collect();
        let differing: BTreeSet<String> = names
            .into_iter()
            .filter(|name| then.get(*name) != now.get(*name))
            .cloned()
            .collect();
        if !differing.is_empty() {
            changed.insert(path.clone(), differing);
        }
    }
    Ok(changed)
}

/// What a manifest asks of each dependency beyond a plain entry, by package name; see
/// [`changed_declarations`]. A manifest that is missing or does not parse asks nothing.
fn requests(
    bytes: Option<Vec<u8>>,
) -> BTreeMap<String, (bool, BTreeSet<String>, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (bool, BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let Some(table) = bytes
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.parse::<toml::Table>().ok())
    else {
        return out;
    };
    let mut tables: Vec<&toml::Table> = Vec::new();
    let kinds = [
        "dependencies",
        "dev-dependencies",
        "dev_dependencies",
        "build-dependencies",
        "build_dependencies",
    ];
    for kind in kinds {
        if let Some(t) = table.get(kind).and_then(|v| v.as_table()) {
            tables.push(t);
        }
    }
    if let Some(targets) = table.get("target").and_then(|v| v.as_table()) {
        for target in targets.values().filter_map(|v| v.as_table()) {
            for kind in kinds {
                if let Some(t) = target.get(kind).and_then(|v| v.as_table()) {
                    tables.push(t);
                }
            }
        }
    }
    // Keys are what `[features]` names a dependency by; requests are kept by package name.
    let mut by_key: BTreeMap<String, String> = BTreeMap::new();
    for deps in tables {
        for (key, spec) in deps {
            let package = spec
                .get("package")
                .and_then(|p| p.as_str())
                .unwrap_or(key)
                .to_owned();
            by_key.insert(key.clone(), package.clone());
            let defaults = spec
                .get("default-features")
                .or_else(|| spec.get("default_features"))
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            let features: BTreeSet<String> = spec
                .get("features")
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect();
            if !defaults || !features.is_empty() {
                let entry = out
                    .entry(package)
                    .or_insert((true, BTreeSet::new(), BTreeSet::new()));
                entry.0 &= defaults;
                entry.1.extend(features);
            }
        }
    }
    if let Some(features) = table.get("features").and_then(|v| v.as_table()) {
        for (feature, items) in features {
            for item in items
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i.as_str())
            {
                let named = item
                    .strip_prefix("dep:")
                    .or_else(|| {
                        item.split_once('/')
                            .map(|(dep, _)| dep.trim_end_matches('?'))
                    })
                    .unwrap_or(item);
                if let Some(package) = by_key.get(named) {
                    out.entry(package.clone())
                        .or_insert((true, BTreeSet::new(), BTreeSet::new()))
                        .2
                        .insert(format!("{feature} = {item}"));
                }
            }
        }
    }
    out
}

/// Whether the workspace graph at `base` may differ from the head's: a manifest changed, or a
/// file whose existence makes a target (`src/lib.rs`, `src/bin/x.rs`, ...) was added or
/// removed. An edit of an existing `src/lib.rs` changes no target, so the base graph is the
/// head's and no `cargo metadata` of the base commit is needed.
fn graph_may_differ(
    repo: &Repo,
    base: ObjectId,
    head: &Head,
    paths: &BTreeSet<String>,
) -> Result<bool> {
    let base_tree = repo.tree_of(base)?;
    let head_tree = match head {
        Head::Commit(commit) => Some(repo.tree_of(commit.object_id())?),
        Head::Worktree => None,
    };
    for path in paths.iter().filter(|p| snapshot::shapes_the_graph(p)) {
        if path == "Cargo.toml" || path.ends_with("/Cargo.toml") {
            return Ok(true);
        }
        let at_base = base_tree
            .lookup_entry_by_path(path)
            .map_err(Error::git)?
            .is_some();
        let at_head = match &head_tree {
            Some(tree) => tree
                .lookup_entry_by_path(path)
                .map_err(Error::git)?
                .is_some(),
            None => repo.workdir().join(path).is_file(),
        };
        if at_base != at_head {
            return Ok(true);
        }
    }
    Ok(false)
}

fn read_lock(repo: &Repo, commit: ObjectId, path: &str) -> Result<Option<Lockfile>> {
    let Some(bytes) = repo.read_at(commit, path)? else {
        return Ok(None);
    };
    Lockfile::parse(&String::from_utf8_lossy(&bytes))
        .map(Some)
        .map_err(|error| Error::Lockfile {
            file: path.to_owned(),
            at: format!(" at {}", snapshot::short(commit)),
            error,
        })
}

fn no_workspace(rev: &str, root: &str) -> Error {
    Error::UnknownRevision {
        rev: rev.to_owned(),
        reason: format!(
            "it has no workspace manifest at `{}`",
            join(root, "Cargo.toml")
        ),
    }
}

/// Local mode (`affected` without `--base`): every binary whose build record says it is stale.
#[derive(Clone, Debug)]
pub struct SinceBuild {
    /// Every changed file the verdicts name, sorted.
    pub changed_paths: Vec<String>,
    /// The packages the stale binaries belong to or are reached through, in build order.
    pub packages: Vec<String>,
    /// The stale binaries, in build order, each with its reasons.
    pub binaries: Vec<Verdict>,
}

/// Local mode (`affected` without `--base`): every binary whose build record says it is stale,
/// with the reasons, as [`crate::status`] decides them.
pub fn affected_since_build(options: &StatusOptions) -> Result<SinceBuild> {
    let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
    let profile = crate::ops::status::profile(&worktree, options.profile.as_ref());
    let verdicts = crate::ops::status::status_in(&worktree, &profile, &options.cargo)?;
    let mut changed_paths = BTreeSet::new();
    let mut packages = BTreeSet::new();
    let mut binaries = Vec::new();
    for verdict in verdicts.into_iter().filter(|v| !v.is_fresh()) {
        changed_paths.extend(verdict.changed_files.iter().cloned());
        packages.insert(verdict.binary.package.clone());
        for reason in &verdict.reasons {
            if let StaleReason::Input(reason) = reason {
                packages.extend(reason.chain().iter().cloned());
            }
        }
        binaries.push(verdict);
    }
    let packages = worktree
        .snapshot
        .graph
        .packages()
        .map(|(_, p)| p.name.clone())
        .filter(|name| packages.contains(name))
        .collect();
    Ok(SinceBuild {
        changed_paths: changed_paths.into_iter().collect(),
        packages,
        binaries,
    })
}
