//! From changed paths and changed lock entries to affected packages and binaries, with the
//! reason for each.
//!
//! A path is classified with the graph of each end (a package removed at the head still owned
//! its files at the base, and its dependents there must hear about it); affected packages are
//! then matched by name to the head, whose binaries are the ones that get built.

use std::collections::{BTreeMap, BTreeSet};

use crate::rules::classify::Class;
use crate::rules::{PathRules, TrustedReads};
use crate::{Binary, DepKind, LockKey, NodeId, PackageId, PathRole, Result, WorkspaceGraph};

/// What kind of change a [`Reason`] is, in the order reasons are listed (most direct first).
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
    /// A file the binary's last build read changed (from its read map), wherever it lives.
    Read,
    /// The base could not be compared with (`--if-base-missing all`): everything is affected.
    UnknownBase,
}

/// Why a binary is affected: which change, through which rule. Paths are repository-relative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A file of the binary's own package (or of the binary itself) changed.
    Path {
        /// The changed file.
        path: String,
        /// The binary's package, which owns it.
        package: String,
    },
    /// A file of a package the binary's package depends on changed.
    Dependency {
        /// The changed file.
        path: String,
        /// The package that owns it.
        package: String,
        /// The packages from that one to the binary's, both included.
        chain: Vec<String>,
    },
    /// An external crate the binary reaches changed in the lock file.
    Lockfile {
        /// The lock file.
        path: String,
        /// The external crate whose entry changed; `None` when the lock file changed in a way
        /// no single entry accounts for.
        krate: Option<String>,
        /// From the crate to the binary's package, both included.
        chain: Vec<String>,
    },
    /// A file every build reads changed.
    Global {
        /// The changed file.
        path: String,
    },
    /// A file outside every package changed, and nothing says which builds read it.
    Unowned {
        /// The changed file.
        path: String,
    },
    /// A file the binary's last build read changed (its read map says so).
    Read {
        /// The changed file.
        path: String,
    },
    /// The base could not be compared with, so every binary is affected.
    UnknownBase {
        /// The revision as given.
        base: String,
    },
}

impl Reason {
    /// The kind of change.
    pub fn kind(&self) -> ReasonKind {
        match self {
            Reason::Path { .. } => ReasonKind::Path,
            Reason::Dependency { .. } => ReasonKind::Dependency,
            Reason::Lockfile { .. } => ReasonKind::Lockfile,
            Reason::Global { .. } => ReasonKind::Global,
            Reason::Unowned { .. } => ReasonKind::Unowned,
            Reason::Read { .. } => ReasonKind::Read,
            Reason::UnknownBase { .. } => ReasonKind::UnknownBase,
        }
    }

    /// The changed file (the lock file for a lock entry); `None` for an unknown base.
    pub fn path(&self) -> Option<&str> {
        match self {
            Reason::Path { path, .. }
            | Reason::Dependency { path, .. }
            | Reason::Lockfile { path, .. }
            | Reason::Global { path }
            | Reason::Unowned { path }
            | Reason::Read { path } => Some(path),
            Reason::UnknownBase { .. } => None,
        }
    }

    /// The package (or, for a lock entry, the external crate) that changed, where one did.
    pub fn package(&self) -> Option<&str> {
        match self {
            Reason::Path { package, .. } | Reason::Dependency { package, .. } => Some(package),
            Reason::Lockfile { krate, .. } => krate.as_deref(),
            _ => None,
        }
    }

    /// The packages from the changed one to the binary's; empty where no package changed.
    pub fn chain(&self) -> &[String] {
        match self {
            Reason::Path { package, .. } => std::slice::from_ref(package),
            Reason::Dependency { chain, .. } | Reason::Lockfile { chain, .. } => chain,
            _ => &[],
        }
    }

    /// Most direct first: by kind, then by the length of the chain.
    fn order(&self) -> (ReasonKind, usize) {
        (self.kind(), self.chain().len())
    }

    /// A reason that names a path and no package (global, unowned, read).
    fn of_path(kind: ReasonKind, path: &str) -> Reason {
        let path = path.to_owned();
        match kind {
            ReasonKind::Global => Reason::Global { path },
            ReasonKind::Read => Reason::Read { path },
            _ => Reason::Unowned { path },
        }
    }
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
    pub reads: Option<&'a TrustedReads>,
    /// For `--tests`: the files each package's units read, by package (from cargo's dep-info;
    /// they only add packages whose tests to run, see `test_reads` in the engine).
    pub test_reads: Option<&'a BTreeMap<String, BTreeSet<String>>>,
    /// The changed manifests whose feature requests differ between the ends, with the
    /// dependencies (package names) they ask differently of: through feature unification they
    /// can change how those crates, and the crates below them, are compiled for other members'
    /// builds. `None`: not looked at (the package rule alone).
    pub declarations: Option<&'a BTreeMap<String, BTreeSet<String>>>,
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
        // Cargo reads every manifest and the lock file for every build, so every map lists
        // them; their own rules (the package that changed, the lock entries that changed) say
        // which binaries they matter to.
        let cargo_reads_it = file_name(path) == "Cargo.toml" || path == change.lock_path;
        if let Some(reads) = change.reads.filter(|_| !cargo_reads_it) {
            for binary in reads.readers(path) {
                collector.read(binary, path);
            }
        }
        if mode == Mode::Tests {
            let packages = rules.test_owners_of(path);
            collector
                .test_packages
                .extend(packages.into_iter().map(str::to_owned));
            let readers = change
                .test_reads
                .filter(|_| !cargo_reads_it)
                .into_iter()
                .flatten()
                .filter(|(_, reads)| reads.contains(path))
                .map(|(package, _)| package.clone());
            collector.test_packages.extend(readers);
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
                    collector.package_changed(graph, id, path);
                    if let Some(asked) = change.declarations.and_then(|d| d.get(path)) {
                        collector.unified_manifest_change(graph, id, path, asked);
                    }
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
    // A binary whose trusted read map says which external crates its build compiled counts
    // only the entries among them. Test targets have no read maps.
    let compiled = change.reads.filter(|_| mode == Mode::Binaries);
    for &graph in &graphs {
        for key in change.lock_entries {
            if let Some(id) = graph.external(key) {
                let compiles = |binary: &Binary| {
                    compiled.is_none_or(|reads| reads.may_compile(binary, &key.name, &key.version))
                };
                collector.reach(
                    graph,
                    id,
                    ReasonKind::Lockfile,
                    change.lock_path,
                    &key.name,
                    &compiles,
                );
                collector.unified_lock_change(graph, id, &key.name, change.lock_path, compiled);
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
    reasons.sort_by_key(Reason::order);
    Ok(reasons)
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
        let key = (
            reason.kind(),
            reason.package().unwrap_or_default().to_owned(),
        );
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
    fn everything_unknown(&mut self, kind: ReasonKind, path: &str, reads: &TrustedReads) {
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
        self.reach(graph, id, ReasonKind::Dependency, path, &name, &|_| true);
    }

    /// Everything that reaches `seed` in `graph` through normal and build edges is affected
    /// (of the binaries, those `counts` keeps); the seed's own binaries get kind `Path` when a
    /// path changed.
    fn reach(
        &mut self,
        graph: &WorkspaceGraph,
        seed: NodeId,
        kind: ReasonKind,
        path: &str,
        what: &str,
        counts: &dyn Fn(&Binary) -> bool,
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
            let crate::Node::Package(package) = graph.node(id) else {
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
                .filter(|binary| counts(binary))
                .collect();
            for binary in bins {
                let path = path.to_owned();
                let reason = match kind {
                    ReasonKind::Path => Reason::Path {
                        path,
                        package: what.to_owned(),
                    },
                    ReasonKind::Lockfile => Reason::Lockfile {
                        path,
                        krate: Some(what.to_owned()),
                        chain: chain.clone(),
                    },
                    _ => Reason::Dependency {
                        path,
                        package: what.to_owned(),
                        chain: chain.clone(),
                    },
                };
                self.add(binary, reason);
            }
        }
    }

    /// Feature unification (see `WorkspaceGraph::unified_with`): external crate `changed`
    /// changed in the lock file; a binary whose build unifies features with a package that
    /// reaches it, and uses a crate below it, is affected too: the new entry may ask other
    /// features of that crate. Where a trusted read map says which crates the build compiled,
    /// those are what it uses; elsewhere every crate its package reaches.
    fn unified_lock_change(
        &mut self,
        graph: &WorkspaceGraph,
        changed: NodeId,
        name: &str,
        path: &str,
        reads: Option<&TrustedReads>,
    ) {
        let below = graph.externals_below(changed);
        if below.is_empty() {
            return;
        }
        let mut reaching: BTreeMap<Vec<NodeId>, bool> = BTreeMap::new();
        let binaries: Vec<Binary> = self.head.binaries().map(|(_, b)| b).collect();
        for binary in binaries {
            let Some(package) = graph.package_by_name(&binary.package) else {
                continue;
            };
            let unified = graph.unified_with(package);
            let reaches = *reaching
                .entry(unified.clone())
                .or_insert_with(|| graph.externals_reached_by(&unified).contains(&changed));
            if !reaches {
                continue;
            }
            let compiled = reads.and_then(|r| r.externals.get(&binary));
            let used: std::collections::HashSet<NodeId> = match compiled {
                Some(names) => below
                    .iter()
                    .copied()
                    .filter(|&id| names.contains(&external_name(graph, id)))
                    .collect(),
                None => graph
                    .reachable(package, DepKind::reaches_binaries)
                    .into_iter()
                    .collect(),
            };
            let Some(&shared) = below.iter().find(|id| used.contains(id)) else {
                continue;
            };
            let chain = unification_chain(graph, name, shared, package);
            self.build_packages.insert(binary.package.clone());
            let reason = Reason::Lockfile {
                path: path.to_owned(),
                krate: Some(name.to_owned()),
                chain,
            };
            self.add(binary, reason);
        }
    }

    /// Feature unification, for a manifest: `member` (`path`) asks other features of the
    /// crates named in `asked`; a binary of another package whose build unifies features with
    /// it and that uses one of those crates, or a crate below one, may be compiled with other
    /// features now.
    fn unified_manifest_change(
        &mut self,
        graph: &WorkspaceGraph,
        member: NodeId,
        path: &str,
        asked: &BTreeSet<String>,
    ) {
        let seeds = asked.iter().flat_map(|name| {
            graph
                .package_by_name(name)
                .into_iter()
                .chain(graph.externals_named(name))
        });
        let theirs: std::collections::HashSet<NodeId> = seeds
            .flat_map(|seed| graph.reachable(seed, DepKind::reaches_binaries))
            .collect();
        if theirs.is_empty() {
            return;
        }
        let member_name = graph.name(member).to_owned();
        let binaries: Vec<Binary> = self.head.binaries().map(|(_, b)| b).collect();
        for binary in binaries {
            let Some(package) = graph.package_by_name(&binary.package) else {
                continue;
            };
            if package == member || !graph.unified_with(package).contains(&member) {
                continue;
            }
            let ours = graph.reachable(package, DepKind::reaches_binaries);
            let Some(&shared) = ours.iter().find(|id| theirs.contains(id)) else {
                continue;
            };
            let chain = unification_chain(graph, &member_name, shared, package);
            self.build_packages.insert(binary.package.clone());
            let reason = Reason::Dependency {
                path: path.to_owned(),
                package: member_name.clone(),
                chain,
            };
            self.add(binary, reason);
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
        let reason = Reason::Path {
            path: path.to_owned(),
            package: package.to_owned(),
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
        let pairs = head.spawn_pairs(spawns);
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
                list.sort_by_key(Reason::order);
                AffectedBinary {
                    binary,
                    reasons: list,
                }
            })
            .collect();
        Ok(Affected { packages, binaries })
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The chain a unification reason shows: what changed (`first`), then the crate both builds
/// share, then the dependents from it to `package`.
fn unification_chain(
    graph: &WorkspaceGraph,
    first: &str,
    shared: NodeId,
    package: NodeId,
) -> Vec<String> {
    let mut chain = vec![first.to_owned()];
    chain.extend(
        graph
            .dependents(shared, DepKind::reaches_binaries)
            .chain(package)
            .unwrap_or_default()
            .into_iter()
            .map(|id| graph.name(id).to_owned()),
    );
    chain
}

/// `name version` of an external crate, as read maps name them.
fn external_name(graph: &WorkspaceGraph, id: NodeId) -> String {
    match graph.node(id) {
        crate::Node::External(e) => format!("{} {}", e.name, e.version),
        crate::Node::Package(p) => p.name.clone(),
    }
}
