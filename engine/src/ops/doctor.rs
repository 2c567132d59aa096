//! `rbee-graph doctor`: which paths make recent commits affect every binary, and the
//! configuration that would stop them, with the evidence for each suggestion.
//!
//! A path outside every package counts for every binary, because a build may read it. In a
//! repository with more than Rust in it (a TypeScript frontend, packaging files) that makes
//! most commits affect everything. The doctor walks the last commits of the first-parent
//! history, classifies their changed paths with today's rules and graph (an approximation: a
//! package added or removed meanwhile, and lock entries, are not looked at), groups the paths
//! that widened the answer by the outermost directory that holds no package, and checks each
//! group against the read maps (see [`crate::records::read_map`]): no recorded build read a file under
//! it means `ignore`; some did means `owners`, onto the packages whose binaries read it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rbee_graph_model::{Binary, WorkspaceGraph};

use crate::cargo::snapshot;
use crate::error::{Error, Result};
use crate::records::read_map::ReadMaps;
use rbee_graph_model::rules::config::Config;
use rbee_graph_model::rules::{self, Change, Mode, PathClass, PathRules};

/// What to look at.
#[derive(Clone, Debug)]
pub struct DoctorOptions {
    /// The workspace manifest; `None` finds it from the current directory.
    pub manifest_path: Option<PathBuf>,
    /// How many commits back (first parents) to look.
    pub commits: usize,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        DoctorOptions {
            manifest_path: None,
            commits: 100,
        }
    }
}

/// What the doctor found.
#[derive(Clone, Debug, Default)]
pub struct DoctorReport {
    /// Commits looked at.
    pub commits: usize,
    /// Of those, the ones that affect every binary.
    pub everything: usize,
    /// How many commits affected each binary.
    pub per_binary: BTreeMap<Binary, usize>,
    /// The groups of paths that made commits affect everything, most commits first.
    pub groups: Vec<Group>,
    /// Whether read maps were there to check the groups against.
    pub read_maps: bool,
    /// The suggested `ignore` globs.
    pub ignore: Vec<String>,
    /// The suggested `owners` globs.
    pub owners: BTreeMap<String, Vec<String>>,
    /// Commits that would affect everything with the suggestions.
    pub everything_after: usize,
    /// Directories that look like test fixtures and changed in those commits, most commits
    /// first: tests may read them at run time, which no dep-info records.
    pub fixtures: Vec<FixtureDir>,
}

/// A directory that looks like test fixtures (`fixtures/`, `testdata/`, `tests/data/`...).
/// Tests that read it at run time (nushell's `tests/fixtures`, read through
/// `nu-test-support`) leave no trace in dep-info, so `affected --tests` only knows about them
/// through the `test-owners` configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureDir {
    /// The glob (workspace-relative) that covers it: `tests/fixtures/**`.
    pub glob: String,
    /// How many of the commits changed a file under it.
    pub commits: usize,
    /// The package that owns it, whose own tests count for it already; `None` outside every
    /// package.
    pub package: Option<String>,
    /// The packages whose recorded builds read a file under it; `None` without read maps.
    pub readers: Option<BTreeSet<String>>,
    /// Whether a configured `test-owners` glob covers its files already.
    pub mapped: bool,
}

/// Directory names that hold test fixtures, by convention.
const FIXTURE_DIRS: &[&str] = &[
    "fixtures",
    "fixture",
    "test-fixtures",
    "testdata",
    "test-data",
    "test_data",
];

/// Paths that made commits affect every binary, grouped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The glob (workspace-relative) that covers them: `frontend/**`, `pnpm-lock.yaml`.
    pub glob: String,
    /// How many commits it widened.
    pub commits: usize,
    /// Whether the rule is a global one (toolchain, cargo configuration, workspace manifest,
    /// configured `global`): nothing to suggest.
    pub global: bool,
    /// The packages whose recorded builds read a file under it (empty: none did); `None`
    /// without read maps.
    pub readers: Option<BTreeSet<String>>,
    /// Whether Rust sources or manifests changed under it: a package that the workspace had
    /// then and has no longer (moved or removed), or a crate outside the workspace. Ignoring
    /// it is still safe: a package owns its files whatever `ignore` says, so one that comes
    /// back is seen again.
    pub rust: bool,
}

/// Looks at the last commits.
pub fn doctor(options: &DoctorOptions) -> Result<DoctorReport> {
    let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
    let repo = &worktree.repo;
    let graph = &worktree.snapshot.graph;
    let config = &worktree.snapshot.config;
    let root = graph.workspace_root().to_owned();
    let outputs = worktree.target_dir_in_repo();
    let rules = PathRules::new(&root, config)?.ignoring_outputs(outputs.clone());
    let head = repo.head_commit()?.ok_or_else(|| Error::UnknownRevision {
        rev: "HEAD".to_owned(),
        reason: "the repository has no commits yet".to_owned(),
    })?;
    let pairs = repo.first_parent_pairs(head, options.commits);
    let maps = ReadMaps::from_records(&worktree.state_dir(), repo.workdir());
    let package_dirs: Vec<String> = graph
        .packages()
        .filter_map(|(_, p)| p.dir.clone())
        .collect();

    let mut report = DoctorReport {
        commits: pairs.len(),
        read_maps: !maps.binaries.is_empty(),
        ..DoctorReport::default()
    };
    let mut changes = Vec::new();
    let mut groups: BTreeMap<String, (usize, bool, bool)> = BTreeMap::new();
    // Each fixture directory: how many commits touched it, and the files they touched.
    let mut fixtures: BTreeMap<String, (usize, BTreeSet<String>)> = BTreeMap::new();
    for (parent, commit) in &pairs {
        let paths = repo.changed_between(*parent, *commit)?;
        let mut touched: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for path in &paths {
            if let Some(dir) = fixture_dir(path, &root) {
                touched.entry(dir).or_default().push(path);
            }
        }
        for (dir, files) in touched {
            let entry = fixtures.entry(dir).or_default();
            entry.0 += 1;
            entry.1.extend(files.iter().map(|f| (*f).to_owned()));
        }
        let mut widened: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        for path in &paths {
            let rust = path.ends_with(".rs") || path.ends_with("Cargo.toml");
            let (glob, global) = match rules.explain(graph, path) {
                PathClass::Unowned => (group_of(path, &root, &package_dirs), false),
                PathClass::Global(_) => (path.clone(), true),
                _ => continue,
            };
            let entry = widened.entry(glob).or_insert((global, false));
            entry.1 |= rust;
        }
        if !widened.is_empty() {
            report.everything += 1;
        }
        for (glob, (global, rust)) in widened {
            let entry = groups.entry(glob).or_insert((0, global, false));
            entry.0 += 1;
            entry.2 |= rust;
        }
        for binary in affected(&rules, graph, config, &paths)? {
            *report.per_binary.entry(binary).or_default() += 1;
        }
        changes.push(paths);
    }

    for (glob, (commits, global, rust)) in groups {
        let readers = report.read_maps.then(|| readers_under(&maps, &glob, &root));
        if !global {
            match &readers {
                Some(r) if !r.is_empty() => {
                    report
                        .owners
                        .insert(glob.clone(), r.iter().cloned().collect());
                }
                _ => report.ignore.push(glob.clone()),
            }
        }
        report.groups.push(Group {
            glob,
            commits,
            global,
            readers,
            rust,
        });
    }
    report
        .groups
        .sort_by(|a, b| b.commits.cmp(&a.commits).then(a.glob.cmp(&b.glob)));

    report.fixtures = fixtures
        .into_iter()
        .map(|(dir, (commits, files))| {
            let full = rbee_graph_model::path::join(&root, &dir);
            let glob = format!("{dir}/**");
            let mapped = files.iter().all(|f| !rules.test_owners_of(f).is_empty());
            FixtureDir {
                package: graph.owner(&full).map(|id| graph.name(id).to_owned()),
                readers: report.read_maps.then(|| readers_under(&maps, &glob, &root)),
                mapped,
                glob,
                commits,
            }
        })
        .collect();
    report
        .fixtures
        .sort_by(|a, b| b.commits.cmp(&a.commits).then(a.glob.cmp(&b.glob)));

    // The same commits with the suggestions in the configuration.
    let mut tuned: Config = config.clone();
    tuned.ignore.extend(report.ignore.iter().cloned());
    tuned.owners.extend(report.owners.clone());
    let tuned_rules = PathRules::new(&root, &tuned)?.ignoring_outputs(outputs);
    report.everything_after = changes
        .iter()
        .filter(|paths| {
            paths.iter().any(|p| {
                matches!(
                    tuned_rules.explain(graph, p),
                    PathClass::Unowned | PathClass::Global(_)
                )
            })
        })
        .count();
    Ok(report)
}

/// The binaries `paths` affect under `rules` (no lock entries).
fn affected(
    rules: &PathRules,
    graph: &WorkspaceGraph,
    config: &Config,
    paths: &BTreeSet<String>,
) -> Result<Vec<Binary>> {
    let lock_path = rbee_graph_model::path::join(graph.workspace_root(), "Cargo.lock");
    let change = Change {
        head: graph,
        base: None,
        paths,
        lock_entries: &BTreeSet::new(),
        lock_path: &lock_path,
        spawns: &config.spawns,
        reads: None,
        test_reads: None,
        declarations: None,
    };
    Ok(rules::affected(rules, &change, Mode::Binaries)?
        .binaries
        .into_iter()
        .map(|b| b.binary)
        .collect())
}

/// The glob for an unowned `path`: its outermost directory that holds no package
/// (`frontend/**`, `bin/80-hono-worker-catalog/**`), or the file itself at the top. Relative to
/// the workspace root, as configuration globs are.
fn group_of(path: &str, workspace_root: &str, package_dirs: &[String]) -> String {
    let rel = rbee_graph_model::path::strip_dir(path, workspace_root).unwrap_or(path);
    let parts: Vec<&str> = rel.split('/').collect();
    let mut prefix = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            // A file directly in a directory that holds packages (or at the top).
            return rel.to_owned();
        }
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        let full = rbee_graph_model::path::join(workspace_root, &prefix);
        let holds_package = package_dirs
            .iter()
            .any(|d| d.is_empty() || rbee_graph_model::path::is_within(d, &full));
        if !holds_package {
            return format!("{prefix}/**");
        }
    }
    rel.to_owned()
}

/// The fixture directory `path` lies in (workspace-relative, the outermost one), if any.
fn fixture_dir(path: &str, workspace_root: &str) -> Option<String> {
    let rel = rbee_graph_model::path::strip_dir(path, workspace_root)?;
    let parts: Vec<&str> = rel.split('/').collect();
    // The last part is the file itself.
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let at = dirs.iter().enumerate().position(|(i, part)| {
        FIXTURE_DIRS.contains(part) || (*part == "data" && i > 0 && dirs[i - 1] == "tests")
    })?;
    Some(dirs[..=at].join("/"))
}

/// The packages whose recorded builds read a file the glob covers.
fn readers_under(maps: &ReadMaps, glob: &str, workspace_root: &str) -> BTreeSet<String> {
    let full = rbee_graph_model::path::join(workspace_root, glob);
    let matches = |read: &str| match full.strip_suffix("/**") {
        Some(dir) => rbee_graph_model::path::is_within(read, dir),
        None => read == full,
    };
    maps.binaries
        .iter()
        .filter(|b| b.reads.iter().any(|r| matches(r)))
        .map(|b| b.package.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_stop_at_the_outermost_directory_without_a_package() {
        let dirs = vec!["bin/queen".to_owned(), "libs/core".to_owned()];
        assert_eq!(group_of("frontend/apps/web/x.ts", "", &dirs), "frontend/**");
        assert_eq!(
            group_of("bin/80-hono-worker-catalog/src/x.ts", "", &dirs),
            "bin/80-hono-worker-catalog/**"
        );
        assert_eq!(group_of("pnpm-lock.yaml", "", &dirs), "pnpm-lock.yaml");
        assert_eq!(
            group_of("bin/rbee.PKGBUILD", "", &dirs),
            "bin/rbee.PKGBUILD"
        );
    }

    #[test]
    fn fixture_directories_by_their_conventional_names() {
        let dir = |path| fixture_dir(path, "");
        assert_eq!(
            dir("tests/fixtures/formats/sample.yaml").as_deref(),
            Some("tests/fixtures")
        );
        assert_eq!(
            dir("crates/nu-cmd/tests/data/x.csv").as_deref(),
            Some("crates/nu-cmd/tests/data")
        );
        assert_eq!(
            dir("libs/core/testdata/a/b.txt").as_deref(),
            Some("libs/core/testdata")
        );
        assert_eq!(dir("src/data/x.csv"), None);
        assert_eq!(
            dir("fixtures"),
            None,
            "a file called fixtures is no directory"
        );
        assert_eq!(
            fixture_dir("ws/tests/fixtures/x", "ws").as_deref(),
            Some("tests/fixtures")
        );
    }
}
