//! The path rules of DESIGN.md: from changed paths and changed lock entries to affected
//! packages and binaries, with the reason for each.
//!
//! Pure: everything here works on graphs and lists that the caller gathered. A path is
//! classified with the graph of each end (a package removed at the head still owned its files
//! at the base, and its dependents there must hear about it); affected packages are then
//! matched by name to the head, whose binaries are the ones that get built.

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobMatcher, GlobSet};
use rbee_graph_model::path::strip_dir;
use rbee_graph_model::{Binary, DepKind, LockKey, NodeId, PackageId, PathRole, WorkspaceGraph};

use crate::config::{self, Config};
use crate::error::Result;

/// What a changed path or lock entry is, for a binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReasonKind {
    /// A file of the binary's own package (or of the binary itself) changed.
    Path,
    /// A file of a package the binary's package depends on changed.
    Dependency,
    /// An external crate the binary reaches changed in `Cargo.lock`.
    Lockfile,
    /// A file every build reads changed (workspace manifest, toolchain, cargo config).
    Global,
    /// A file outside every package changed; a build script or `include_str!` may read it.
    Unowned,
    /// Local mode only: the build record says so (no record, toolchain, environment, ...).
    Record,
    /// A file the binary's last build read changed (from its read map), wherever it lives.
    Read,
    /// The base could not be compared with (`--if-base-missing all`): everything is affected.
    UnknownBase,
}

/// Why a binary is affected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// What kind of change.
    pub kind: ReasonKind,
    /// The changed path (`Cargo.lock` for lock entries).
    pub path: Option<String>,
    /// The package (or, for lock entries, external crate) that changed.
    pub package: Option<String>,
    /// The chain of packages from the changed one to the binary's package.
    pub chain: Vec<String>,
    /// For [`ReasonKind::Record`]: what the record says, for people.
    pub detail: Option<String>,
}

/// A binary and why it is affected; the most direct reason comes first.
#[derive(Clone, Debug)]
pub struct AffectedBinary {
    /// The binary.
    pub binary: Binary,
    /// At least one reason, one per kind and changed package.
    pub reasons: Vec<Reason>,
}

/// Which question is asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Which binaries must be rebuilt: dev-dependencies, tests, benches and examples do not
    /// count.
    #[default]
    Binaries,
    /// Which packages' tests must run: additionally a package whose dev-dependency changed, and
    /// a package whose `tests/`, `benches/` or `examples/` changed.
    Tests,
}

/// The answer: packages in build order, binaries in build order (spawners before spawned).
#[derive(Clone, Debug, Default)]
pub struct Affected {
    /// Affected packages of the head, dependencies before dependents.
    pub packages: Vec<String>,
    /// Affected binaries of the head, in build order.
    pub binaries: Vec<AffectedBinary>,
}

/// Compiled path rules for one workspace.
pub struct PathRules {
    workspace_root: String,
    global: GlobSet,
    global_patterns: Vec<String>,
    ignore: GlobSet,
    /// The default ignore globs first, then the configured ones.
    ignore_patterns: Vec<String>,
    ignore_outside_packages: GlobSet,
    owners: Vec<(GlobMatcher, String, Vec<String>)>,
    /// `test-owners`: globs of files packages' tests read at run time.
    test_owners: Vec<(GlobMatcher, Vec<String>)>,
    /// Cargo's target directory (repository-relative), whose files are outputs, not inputs.
    outputs: Option<String>,
}

/// The files every build reads, relative to the workspace root.
const GLOBAL_FILES: &[&str] = &[
    "Cargo.toml",
    "rust-toolchain",
    "rust-toolchain.toml",
    ".cargo/config",
    ".cargo/config.toml",
];

/// Of those, the ones that also count in any directory above the workspace root (rustup and
/// cargo look for them upwards).
const GLOBAL_FILES_ABOVE: &[&str] = &[
    "rust-toolchain",
    "rust-toolchain.toml",
    ".cargo/config",
    ".cargo/config.toml",
];

/// The rule that decided a path, as [`PathRules::classify`] finds it. Variants say which rule
/// matched (so [`PathRules::explain`] can name it) without the cost of finding which glob did.
enum Class {
    Global(GlobalBy),
    LockFile,
    InPackage(PackageId, PathRole),
    Owners(Vec<String>),
    Ignored(IgnoredBy),
    Unowned,
}

#[derive(Clone, Copy)]
enum GlobalBy {
    File,
    Above,
    Glob,
}

#[derive(Clone, Copy)]
enum IgnoredBy {
    Outputs,
    OutsideWorkspace,
    Glob,
    OutsidePackages,
}

/// Which of the path rules of DESIGN.md classifies a path, and how: what `rbee-graph why`
/// shows. Rules are tried in this order; the first that matches wins.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathClass {
    /// Rule 1: every build reads it, so every binary is affected.
    Global(GlobalRule),
    /// Rule 2: the workspace's `Cargo.lock`. Its changed entries, not its text, decide.
    LockFile,
    /// Rule 3: inside a package (the innermost one; a root package only owns what no other
    /// package claims). The role says which of its binaries see it.
    Package {
        /// The owning package.
        package: String,
        /// What the path is to the package: shared, one binary's own source, or test-only.
        role: PathRole,
    },
    /// Rule 5, mapped: outside every package, but configured `owners` globs map it onto these
    /// packages.
    Owners {
        /// The packages it is mapped onto.
        packages: Vec<String>,
        /// The `owners` globs that matched.
        globs: Vec<String>,
    },
    /// Rule 4: affects nothing.
    Ignored(IgnoreRule),
    /// Rule 5: outside every package and not ignored: a build script or `include_str!` may
    /// read it, so every binary is affected (unless dep-info says which binaries read it).
    Unowned,
}

/// Why a path is global.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GlobalRule {
    /// One of the files every build reads, at the workspace root: the root `Cargo.toml`,
    /// `rust-toolchain(.toml)`, `.cargo/config(.toml)`.
    WorkspaceFile,
    /// A toolchain or cargo configuration file in a directory above the workspace root.
    AboveWorkspace,
    /// A configured `global` glob.
    Glob(String),
}

/// Why a path affects nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IgnoreRule {
    /// It lies in cargo's target directory: a build output, never an input.
    BuildOutput,
    /// It lies outside the workspace root.
    OutsideWorkspace,
    /// An `ignore` glob matched: a default one (`docs/**`, ...) or a configured one.
    Glob {
        /// The glob, relative to the workspace root.
        pattern: String,
        /// Whether it comes from the configuration rather than the defaults.
        configured: bool,
    },
    /// Markdown outside every package.
    OutsidePackages(String),
}

impl PathRules {
    /// Compiles the default rules plus the configured globs.
    pub fn new(workspace_root: &str, config: &Config) -> Result<PathRules> {
        let mut ignore: Vec<String> = config::DEFAULT_IGNORE
            .iter()
            .map(|s| s.to_string())
            .collect();
        ignore.extend(config.ignore.iter().cloned());
        let owners = config
            .owners
            .iter()
            .map(|(pattern, packages)| {
                Ok((
                    config::glob("owners", pattern)?.compile_matcher(),
                    pattern.clone(),
                    packages.clone(),
                ))
            })
            .collect::<Result<_>>()?;
        let test_owners = config
            .test_owners
            .iter()
            .map(|(pattern, packages)| {
                Ok((
                    config::glob("test-owners", pattern)?.compile_matcher(),
                    packages.clone(),
                ))
            })
            .collect::<Result<_>>()?;
        Ok(PathRules {
            test_owners,
            workspace_root: workspace_root.to_owned(),
            global: config::glob_set("global", &config.global)?,
            global_patterns: config.global.clone(),
            ignore: config::glob_set("ignore", &ignore)?,
            ignore_patterns: ignore,
            ignore_outside_packages: config::glob_set(
                "ignore",
                config::DEFAULT_IGNORE_OUTSIDE_PACKAGES,
            )?,
            owners,
            outputs: None,
        })
    }

    /// Ignores everything below `target_dir` (repository-relative): cargo's outputs and
    /// rbee-graph's own state, which a repository without a `.gitignore` would report.
    pub fn ignoring_outputs(mut self, target_dir: Option<String>) -> PathRules {
        self.outputs = target_dir;
        self
    }

    /// Whether `path` falls to rule 5: outside every package, not ignored, not global. Such a
    /// path affects every binary unless a dep-info file says which files a binary read.
    pub fn is_unowned(&self, graph: &WorkspaceGraph, path: &str) -> bool {
        matches!(self.classify(graph, path), Class::Unowned)
    }

    /// Which rule classifies `path` (repository-relative) in `graph`, naming the glob or
    /// package that decided it. The same decision [`affected`] makes, for people to read.
    pub fn explain(&self, graph: &WorkspaceGraph, path: &str) -> PathClass {
        let rel = strip_dir(path, &self.workspace_root).unwrap_or(path);
        let first = |set: &GlobSet, patterns: &[String]| -> (usize, String) {
            let index = set.matches(rel).into_iter().next().unwrap_or(0);
            (index, patterns.get(index).cloned().unwrap_or_default())
        };
        match self.classify(graph, path) {
            Class::Global(GlobalBy::File) => PathClass::Global(GlobalRule::WorkspaceFile),
            Class::Global(GlobalBy::Above) => PathClass::Global(GlobalRule::AboveWorkspace),
            Class::Global(GlobalBy::Glob) => PathClass::Global(GlobalRule::Glob(
                first(&self.global, &self.global_patterns).1,
            )),
            Class::LockFile => PathClass::LockFile,
            Class::InPackage(id, role) => PathClass::Package {
                package: graph.package(id).name.clone(),
                role,
            },
            Class::Owners(packages) => PathClass::Owners {
                packages,
                globs: self
                    .owners
                    .iter()
                    .filter(|(glob, _, _)| glob.is_match(rel))
                    .map(|(_, pattern, _)| pattern.clone())
                    .collect(),
            },
            Class::Ignored(IgnoredBy::Outputs) => PathClass::Ignored(IgnoreRule::BuildOutput),
            Class::Ignored(IgnoredBy::OutsideWorkspace) => {
                PathClass::Ignored(IgnoreRule::OutsideWorkspace)
            }
            Class::Ignored(IgnoredBy::Glob) => {
                let (index, pattern) = first(&self.ignore, &self.ignore_patterns);
                PathClass::Ignored(IgnoreRule::Glob {
                    pattern,
                    configured: index >= config::DEFAULT_IGNORE.len(),
                })
            }
            Class::Ignored(IgnoredBy::OutsidePackages) => {
                let patterns: Vec<String> = config::DEFAULT_IGNORE_OUTSIDE_PACKAGES
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                let (_, pattern) = first(&self.ignore_outside_packages, &patterns);
                PathClass::Ignored(IgnoreRule::OutsidePackages(pattern))
            }
            Class::Unowned => PathClass::Unowned,
        }
    }

    fn classify(&self, graph: &WorkspaceGraph, path: &str) -> Class {
        if self
            .outputs
            .as_deref()
            .is_some_and(|dir| rbee_graph_model::path::is_within(path, dir))
        {
            return Class::Ignored(IgnoredBy::Outputs);
        }
        let root = self.workspace_root.as_str();
        let Some(rel) = strip_dir(path, root) else {
            return if is_global_above(path, root) {
                Class::Global(GlobalBy::Above)
            } else {
                Class::Ignored(IgnoredBy::OutsideWorkspace)
            };
        };
        if GLOBAL_FILES.contains(&rel) {
            return Class::Global(GlobalBy::File);
        }
        if self.global.is_match(rel) {
            return Class::Global(GlobalBy::Glob);
        }
        if rel == "Cargo.lock" {
            return Class::LockFile;
        }
        let owner = graph.owner(path);
        if let Some(id) = owner.filter(|&id| !graph.is_root_package(id)) {
            return Class::InPackage(id, graph.role_of(id, path));
        }
        if self.ignore.is_match(rel) {
            return Class::Ignored(IgnoredBy::Glob);
        }
        if let Some(id) = owner {
            return Class::InPackage(id, graph.role_of(id, path));
        }
        let mapped: Vec<String> = self
            .owners
            .iter()
            .filter(|(glob, _, _)| glob.is_match(rel))
            .flat_map(|(_, _, packages)| packages.iter().cloned())
            .collect();
        if !mapped.is_empty() {
            return Class::Owners(mapped);
        }
        if self.ignore_outside_packages.is_match(rel) {
            return Class::Ignored(IgnoredBy::OutsidePackages);
        }
        Class::Unowned
    }
}

/// Whether `path`, outside the workspace root, is a toolchain or cargo configuration file in a
/// directory at or above it.
fn is_global_above(path: &str, workspace_root: &str) -> bool {
    GLOBAL_FILES_ABOVE.iter().any(|name| {
        path.strip_suffix(name).is_some_and(|dir| {
            let dir = dir.trim_end_matches('/');
            (dir.is_empty() || path.as_bytes()[dir.len()] == b'/')
                && (dir.is_empty()
                    || workspace_root == dir
                    || workspace_root.starts_with(&format!("{dir}/")))
        })
    })
}

/// The inputs of one comparison.
pub struct Change<'a> {
    /// The workspace at the head: its binaries are the ones reported.
    pub head: &'a WorkspaceGraph,
    /// The workspace at the base when its graph differs from the head's, else `None`.
    pub base: Option<&'a WorkspaceGraph>,
    /// Changed paths, repository-relative.
    pub paths: &'a BTreeSet<String>,
    /// Changed external lock entries.
    pub lock_entries: &'a BTreeSet<LockKey>,
    /// The workspace's lock file, repository-relative (the path lock reasons name).
    pub lock_path: &'a str,
    /// Spawn edges by binary name, from the head's configuration.
    pub spawns: &'a BTreeMap<String, Vec<String>>,
    /// What binaries read, where a read map describes the base: a file one of them read counts
    /// for it, and a file outside every package counts only for binaries without a map.
    pub reads: Option<&'a crate::read_map::TrustedReads>,
}

/// Applies the rules.
pub fn affected(rules: &PathRules, change: &Change<'_>, mode: Mode) -> Result<Affected> {
    let mut collector = Collector::new(change.head, mode);
    let graphs: Vec<&WorkspaceGraph> = std::iter::once(change.head).chain(change.base).collect();
    for path in change.paths {
        let classes: Vec<(&WorkspaceGraph, Class)> = graphs
            .iter()
            .map(|&graph| (graph, rules.classify(graph, path)))
            .collect();
        // A package added or removed between the ends owns its files at one end only; at the
        // other end they look unowned. Owned wins: the file belongs to that package.
        let owned = classes
            .iter()
            .any(|(_, c)| matches!(c, Class::InPackage(..) | Class::Owners(_)));
        if let Some(reads) = change.reads {
            for binary in reads.readers(path) {
                collector.read(binary, path);
            }
        }
        if mode == Mode::Tests {
            let rel = strip_dir(path, &rules.workspace_root).unwrap_or(path);
            for (glob, packages) in &rules.test_owners {
                if glob.is_match(rel) {
                    collector.test_packages.extend(packages.iter().cloned());
                }
            }
        }
        // Test targets have no read maps: for `--tests`, an unowned path still counts for
        // every package.
        let mapped = change.reads.filter(|_| mode == Mode::Binaries);
        for (graph, class) in classes {
            match class {
                Class::Global(_) => collector.everything(ReasonKind::Global, path),
                Class::Unowned if !owned => match mapped {
                    Some(reads) => collector.everything_unknown(ReasonKind::Unowned, path, reads),
                    None => collector.everything(ReasonKind::Unowned, path),
                },
                Class::Unowned | Class::Ignored(_) | Class::LockFile => {}
                Class::InPackage(id, PathRole::Package) => {
                    collector.package_changed(graph, id, path)
                }
                Class::InPackage(id, PathRole::Binary(name)) => {
                    collector.binary_changed(graph.package(id).name.as_str(), &name, path)
                }
                Class::InPackage(id, PathRole::TestOnly) => {
                    collector
                        .test_packages
                        .insert(graph.package(id).name.clone());
                }
                Class::Owners(packages) => {
                    for name in packages {
                        if let Some(id) = graph.package_by_name(&name) {
                            collector.package_changed(graph, id, path);
                        }
                    }
                }
            }
        }
    }
    for &graph in &graphs {
        for key in change.lock_entries {
            if let Some(id) = graph.external(key) {
                collector.reach(graph, id, ReasonKind::Lockfile, change.lock_path, &key.name);
            }
        }
    }
    collector.finish(change.spawns)
}

/// Every reason `binary` is affected by `change`: one per changed path (and per changed lock
/// entry), each with its chain, rather than [`affected`]'s one per kind and package. What
/// `rbee-graph explain` lists. Empty when the change does not affect the binary.
///
/// Each path goes through the same rules as in [`affected`], one at a time, so a path's reason
/// is exactly the one `affected` would give had only that path changed.
pub fn reasons_for(rules: &PathRules, change: &Change<'_>, binary: &Binary) -> Result<Vec<Reason>> {
    let none_paths = BTreeSet::new();
    let none_entries = BTreeSet::new();
    let mut reasons: Vec<Reason> = Vec::new();
    let mut one = |paths: &BTreeSet<String>, entries: &BTreeSet<LockKey>| -> Result<()> {
        let single = Change {
            paths,
            lock_entries: entries,
            ..*change
        };
        let found = affected(rules, &single, Mode::Binaries)?
            .binaries
            .into_iter()
            .find(|b| b.binary == *binary);
        for reason in found.into_iter().flat_map(|b| b.reasons) {
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        Ok(())
    };
    for path in change.paths {
        one(&BTreeSet::from([path.clone()]), &none_entries)?;
    }
    for key in change.lock_entries {
        one(&none_paths, &BTreeSet::from([key.clone()]))?;
    }
    reasons.sort_by_key(|r| (r.kind, r.chain.len()));
    Ok(reasons)
}

impl Reason {
    /// A reason that names a path and no package chain (global, unowned, read).
    fn of_path(kind: ReasonKind, path: &str) -> Reason {
        Reason {
            kind,
            path: Some(path.to_owned()),
            package: None,
            chain: vec![],
            detail: None,
        }
    }
}

struct Collector<'h> {
    head: &'h WorkspaceGraph,
    mode: Mode,
    /// Packages of the head whose binaries are all affected, or that have an affected binary.
    build_packages: BTreeSet<String>,
    /// Packages whose tests must run only because of dev edges or test files.
    test_packages: BTreeSet<String>,
    reasons: BTreeMap<Binary, BTreeMap<(ReasonKind, String), Reason>>,
    /// Seeds already followed, per graph (by address: head and base are distinct graphs).
    reached: std::collections::HashSet<(usize, NodeId, ReasonKind)>,
    /// Kinds already applied to every binary.
    everything_done: BTreeSet<ReasonKind>,
    /// Unowned paths already applied to the binaries without a read map.
    unknown_done: BTreeSet<(ReasonKind, String)>,
}

impl<'h> Collector<'h> {
    fn new(head: &'h WorkspaceGraph, mode: Mode) -> Self {
        Collector {
            head,
            mode,
            build_packages: BTreeSet::new(),
            test_packages: BTreeSet::new(),
            reasons: BTreeMap::new(),
            reached: std::collections::HashSet::new(),
            everything_done: BTreeSet::new(),
            unknown_done: BTreeSet::new(),
        }
    }

    fn add(&mut self, binary: Binary, reason: Reason) {
        let key = (reason.kind, reason.package.clone().unwrap_or_default());
        self.reasons
            .entry(binary)
            .or_default()
            .entry(key)
            .or_insert(reason);
    }

    /// A global or unowned path: every binary of the head.
    fn everything(&mut self, kind: ReasonKind, path: &str) {
        // Reasons are kept per kind; the first path of a kind is the one reported.
        if !self.everything_done.insert(kind) {
            return;
        }
        let all: Vec<(PackageId, Binary)> = self.head.binaries().collect();
        for (_, package) in self.head.members() {
            self.build_packages.insert(package.name.clone());
        }
        for (_, binary) in all {
            self.add(binary, Reason::of_path(kind, path));
        }
    }

    /// An unowned path, with read maps: every binary whose map is not trusted (the others read
    /// it or not, and [`Self::read`] said which).
    fn everything_unknown(
        &mut self,
        kind: ReasonKind,
        path: &str,
        reads: &crate::read_map::TrustedReads,
    ) {
        let key = (kind, path.to_owned());
        let unknown: Vec<Binary> = self
            .head
            .binaries()
            .map(|(_, b)| b)
            .filter(|b| !reads.knows(b))
            .collect();
        if unknown.is_empty() || !self.unknown_done.insert(key) {
            return;
        }
        for binary in unknown {
            self.build_packages.insert(binary.package.clone());
            self.add(binary, Reason::of_path(kind, path));
        }
    }

    /// A path `binary`'s last build read.
    fn read(&mut self, binary: &Binary, path: &str) {
        if self.head.package_by_name(&binary.package).is_none() {
            return;
        }
        self.build_packages.insert(binary.package.clone());
        self.add(binary.clone(), Reason::of_path(ReasonKind::Read, path));
    }

    fn package_changed(&mut self, graph: &WorkspaceGraph, id: PackageId, path: &str) {
        let name = graph.package(id).name.clone();
        self.reach(graph, id, ReasonKind::Dependency, path, &name);
    }

    /// Everything that reaches `seed` in `graph` through normal and build edges is affected;
    /// the seed's own binaries get kind `Path` when a path changed.
    fn reach(
        &mut self,
        graph: &WorkspaceGraph,
        seed: NodeId,
        kind: ReasonKind,
        path: &str,
        what: &str,
    ) {
        // Reasons are kept per kind and changed package, first path first: a second path of
        // the same package reaches the same binaries and adds nothing.
        let graph_key = graph as *const WorkspaceGraph as usize;
        if !self.reached.insert((graph_key, seed, kind)) {
            return;
        }
        let dependents = graph.dependents(seed, DepKind::reaches_binaries);
        let mut reached: Vec<NodeId> = dependents.iter().collect();
        reached.sort();
        for &id in &reached {
            if self.mode == Mode::Tests {
                for dev in graph.dev_dependents(id) {
                    self.test_packages.insert(graph.name(dev).to_owned());
                }
            }
            let rbee_graph_model::Node::Package(package) = graph.node(id) else {
                continue;
            };
            let Some(head_id) = self.head.package_by_name(&package.name) else {
                continue;
            };
            self.build_packages.insert(package.name.clone());
            let chain: Vec<String> = dependents
                .chain(id)
                .expect("reached nodes have a chain")
                .into_iter()
                .map(|n| graph.name(n).to_owned())
                .collect();
            let kind = if kind == ReasonKind::Dependency && id == seed {
                ReasonKind::Path
            } else {
                kind
            };
            let bins: Vec<Binary> = self
                .head
                .package(head_id)
                .bins()
                .map(|t| Binary {
                    name: t.name.clone(),
                    package: package.name.clone(),
                })
                .collect();
            for binary in bins {
                let reason = Reason {
                    kind,
                    path: Some(path.to_owned()),
                    package: Some(what.to_owned()),
                    chain: chain.clone(),
                    detail: None,
                };
                self.add(binary, reason);
            }
        }
    }

    fn binary_changed(&mut self, package: &str, name: &str, path: &str) {
        let Some(id) = self.head.package_by_name(package) else {
            return;
        };
        if !self.head.package(id).bins().any(|t| t.name == name) {
            return;
        }
        self.build_packages.insert(package.to_owned());
        let binary = Binary {
            name: name.to_owned(),
            package: package.to_owned(),
        };
        let reason = Reason {
            kind: ReasonKind::Path,
            path: Some(path.to_owned()),
            package: Some(package.to_owned()),
            chain: vec![package.to_owned()],
            detail: None,
        };
        self.add(binary, reason);
    }

    fn finish(self, spawns: &BTreeMap<String, Vec<String>>) -> Result<Affected> {
        let head = self.head;
        let mut wanted = self.build_packages;
        if self.mode == Mode::Tests {
            wanted.extend(self.test_packages);
        }
        let packages = head
            .packages()
            .filter(|(_, p)| wanted.contains(&p.name))
            .map(|(_, p)| p.name.clone())
            .collect();
        let pairs = spawn_pairs(head, spawns);
        let mut reasons = self.reasons;
        let binaries = head
            .order_binaries(reasons.keys().cloned().collect::<Vec<_>>(), &pairs)?
            .into_iter()
            .map(|binary| {
                let mut list: Vec<Reason> = reasons
                    .remove(&binary)
                    .unwrap_or_default()
                    .into_values()
                    .collect();
                list.sort_by_key(|r| (r.kind, r.chain.len()));
                AffectedBinary {
                    binary,
                    reasons: list,
                }
            })
            .collect();
        Ok(Affected { packages, binaries })
    }
}

/// A one-line explanation of a reason, for people.
pub fn describe(reason: &Reason) -> String {
    let path = reason.path.as_deref().unwrap_or("?");
    let chain = reason.chain.join(" -> ");
    match reason.kind {
        ReasonKind::Path => format!("{path} changed"),
        ReasonKind::Dependency => format!("{path} changed, via {chain}"),
        ReasonKind::Lockfile => format!(
            "{} changed in {path}, via {chain}",
            reason.package.as_deref().unwrap_or("?")
        ),
        ReasonKind::Global => format!("{path} changed (read by every build)"),
        ReasonKind::Record => reason.detail.clone().unwrap_or_default(),
        ReasonKind::Unowned => {
            format!("{path} changed (outside every package; a build may read it)")
        }
        ReasonKind::Read => format!("{path} changed (its last build read it)"),
        ReasonKind::UnknownBase => format!(
            "the base `{}` cannot be compared with",
            reason.detail.as_deref().unwrap_or("?")
        ),
    }
}

/// Resolves spawn edges given by binary name to binaries of `graph`. A name that several
/// packages use stands for each of them.
pub fn spawn_pairs(
    graph: &WorkspaceGraph,
    spawns: &BTreeMap<String, Vec<String>>,
) -> Vec<(Binary, Binary)> {
    let mut by_name: BTreeMap<String, Vec<Binary>> = BTreeMap::new();
    for (_, binary) in graph.binaries() {
        by_name.entry(binary.name.clone()).or_default().push(binary);
    }
    let mut pairs = Vec::new();
    for (spawner, spawned) in spawns {
        for a in by_name.get(spawner).into_iter().flatten() {
            for name in spawned {
                for b in by_name.get(name).into_iter().flatten() {
                    pairs.push((a.clone(), b.clone()));
                }
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_files_above_the_workspace() {
        assert!(is_global_above("rust-toolchain.toml", "ws"));
        assert!(is_global_above(".cargo/config.toml", "a/ws"));
        assert!(is_global_above("a/.cargo/config.toml", "a/ws"));
        assert!(!is_global_above("b/.cargo/config.toml", "a/ws"));
        assert!(!is_global_above("xrust-toolchain.toml", "ws"));
        assert!(!is_global_above("README.md", "ws"));
    }
}
