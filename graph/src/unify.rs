//! Feature unification: how a lock entry that a binary's package never reaches can still
//! change what its build compiles.
//!
//! Cargo resolves features once for every package a build selects, and `cargo build --bin B`
//! in a workspace selects every default member when B's package is one. A crate that only
//! another member uses can ask features of a crate B compiles too (`other -> dep2 -> smallvec`
//! with `features = ["write"]`, beside `app -> smallvec`): a new `dep2` in the lock file that
//! asks other features rebuilds `smallvec`, and `app` with it. The lock file does not say
//! which features an entry asks for, so every external crate that the unified packages reach
//! and that itself reaches a crate the binary uses counts.

use std::collections::{BTreeSet, HashSet};

use crate::{DepKind, Node, NodeId, PackageId, WorkspaceGraph};

impl WorkspaceGraph {
    /// The packages whose dependencies' features unify with a build of `package`'s binaries
    /// as `cargo build --bin B` makes it: every default member when `package` is one (`-p`
    /// is not needed then), else `package` alone.
    pub fn unified_with(&self, package: PackageId) -> Vec<PackageId> {
        let is_default =
            |id: PackageId| matches!(self.node(id), Node::Package(p) if p.default_member);
        if is_default(package) {
            self.members()
                .map(|(id, _)| id)
                .filter(|&id| is_default(id))
                .collect()
        } else {
            vec![package]
        }
    }

    /// The external crates reached from `packages` through any kind of dependency (features
    /// of dev-dependencies unify too under cargo's first resolver).
    pub fn externals_reached_by(&self, packages: &[PackageId]) -> HashSet<NodeId> {
        let mut seen: HashSet<NodeId> = packages.iter().copied().collect();
        let mut stack: Vec<NodeId> = packages.to_vec();
        let mut externals = HashSet::new();
        while let Some(at) = stack.pop() {
            for (dep, _) in self.dependencies(at) {
                if seen.insert(dep) {
                    if matches!(self.node(dep), Node::External(_)) {
                        externals.insert(dep);
                    }
                    stack.push(dep);
                }
            }
        }
        externals
    }

    /// The external crates below external crate `external` (its dependencies, transitively),
    /// nearest first.
    pub fn externals_below(&self, external: NodeId) -> Vec<NodeId> {
        self.reachable(external, DepKind::reaches_binaries)
            .into_iter()
            .filter(|&id| id != external && matches!(self.node(id), Node::External(_)))
            .collect()
    }

    /// Of the external crates `unified` reaches, those that reach one of `used` (external
    /// crates a build compiles) without being one: their lock entries can change the features
    /// `used` are compiled with.
    pub fn unification_externals(
        &self,
        unified: &[PackageId],
        used: &BTreeSet<NodeId>,
    ) -> BTreeSet<NodeId> {
        self.externals_reached_by(unified)
            .into_iter()
            .filter(|id| !used.contains(id))
            .filter(|&id| self.externals_below(id).iter().any(|b| used.contains(b)))
            .collect()
    }
}
