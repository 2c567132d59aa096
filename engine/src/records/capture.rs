//! What a build read, from cargo's reports of a run: dep-info, build script output, the
//! artifacts' manifests and the configuration files, turned into each binary's inputs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rbee_graph_model::Binary;

use crate::cargo::run::{self};

/// What one binary's build read, from cargo's reports of a run.
pub(crate) struct Read {
    /// Files from dep-info: sources, `include_str!` files, build scripts and their
    /// `rerun-if-changed` paths (directories with every file in them). Cargo decides these by
    /// mtime, so [`Compiled`] keeps them.
    pub(crate) sources: BTreeSet<PathBuf>,
    /// Files cargo and rustup read to configure the build: manifests, the lock file,
    /// configuration and toolchain files, files whose existence makes a target.
    pub(crate) configuration: BTreeSet<PathBuf>,
    /// See [`Record::scope`].
    pub(crate) scope: Vec<String>,
}

/// Turns a cargo run's reports into each binary's inputs.
pub(crate) struct InputCollector<'a> {
    built: &'a run::Built,
    workdir: &'a Path,
    workspace_root: &'a Path,
    /// Outputs and the immutable sources of registry and git dependencies (covered by their
    /// lock entries) are not inputs.
    excluded: Vec<PathBuf>,
    basedir: Option<PathBuf>,
    /// Sources of units cargo's per-binary dep-info leaves out (vendored and other non-path
    /// sources outside `$CARGO_HOME`), counted for every binary of the run.
    others: BTreeSet<PathBuf>,
}

impl<'a> InputCollector<'a> {
    pub(crate) fn new(
        built: &'a run::Built,
        workdir: &'a Path,
        workspace_root: &'a Path,
        target_directory: &Path,
    ) -> InputCollector<'a> {
        let mut excluded = vec![target_directory.to_owned()];
        if let Ok(canonical) = std::fs::canonicalize(target_directory) {
            excluded.push(canonical);
        }
        if let Some(home) = crate::cargo::config::cargo_home() {
            excluded.push(home.join("registry"));
            excluded.push(home.join("git"));
        }
        let config = crate::cargo::config::CargoConfig::load(workspace_root);
        let mut collector = InputCollector {
            built,
            workdir,
            workspace_root,
            excluded,
            basedir: config.dep_info_basedir(workspace_root),
            others: BTreeSet::new(),
        };
        let mut others = BTreeSet::new();
        for unit in built.units.iter().filter(|u| !u.is_path) {
            let Some(dep_info) = &unit.dep_info else {
                continue;
            };
            for file in crate::cargo::depinfo::read(dep_info).unwrap_or_default() {
                let file = collector.absolute(file, unit.manifest.parent());
                if collector.is_input(&file) {
                    others.insert(file);
                }
            }
        }
        collector.others = others;
        collector
    }

    /// A dep-info path made absolute: relative paths are relative to `build.dep-info-basedir`
    /// in cargo's own file, to the package for rustc's.
    fn absolute(&self, file: PathBuf, package_dir: Option<&Path>) -> PathBuf {
        if file.is_absolute() {
            return rbee_graph_model::path::normalize(&file);
        }
        let base = self
            .basedir
            .as_deref()
            .or(package_dir)
            .unwrap_or(self.workspace_root);
        rbee_graph_model::path::normalize(&base.join(file))
    }

    fn is_input(&self, path: &Path) -> bool {
        !self.excluded.iter().any(|dir| path.starts_with(dir))
    }

    pub(crate) fn read_by(&self, binary: &Binary, executable: &Path) -> Read {
        let mut sources = BTreeSet::new();
        let mut configuration = BTreeSet::new();
        let dir = executable.parent().unwrap_or(executable);
        let dep_info = dir.join(format!("{}.d", binary.name));
        match crate::cargo::depinfo::read(&dep_info) {
            Some(files) => {
                for file in files {
                    let file = self.absolute(file, None);
                    if self.is_input(&file) {
                        sources.insert(file);
                    }
                }
            }
            // Without cargo's list nothing is known: the record must not say fresh.
            None => {
                configuration.insert(dep_info);
            }
        }
        sources.extend(self.others.iter().cloned());
        // The packages whose units the binary's sources are the roots of.
        let mut packages: BTreeSet<&Path> = BTreeSet::new();
        for unit in &self.built.units {
            if sources.contains(&rbee_graph_model::path::normalize(&unit.src_path))
                && let Some(dir) = unit.manifest.parent()
            {
                packages.insert(dir);
                configuration.insert(unit.manifest.clone());
            }
        }
        // Files whose appearance makes a target (and so changes what cargo builds).
        for dir in &packages {
            for name in ["build.rs", "src/lib.rs", "src/main.rs"] {
                configuration.insert(dir.join(name));
            }
        }
        let mut scope = Vec::new();
        for manifest in &self.built.whole_packages {
            let Some(dir) = Path::new(manifest).parent() else {
                continue;
            };
            if !packages.contains(dir) {
                continue;
            }
            match crate::git::repo::repo_relative(dir, self.workdir) {
                Some(rel) if !rel.is_empty() => scope.push(rel),
                // The root package, or one git cannot see: every file it holds.
                _ => sources.extend(crate::records::inputs::files_under(dir).into_iter().filter(
                    |f| self.is_input(f) && !f.components().any(|c| c.as_os_str() == ".git"),
                )),
            }
        }
        // Directories (`rerun-if-changed=dir`) stand for every file in them too.
        let dirs: Vec<PathBuf> = sources.iter().filter(|p| p.is_dir()).cloned().collect();
        for dir in dirs {
            sources.extend(
                crate::records::inputs::files_under(&dir)
                    .into_iter()
                    .filter(|f| self.is_input(f)),
            );
        }
        configuration.insert(self.workspace_root.join("Cargo.toml"));
        configuration.insert(self.workspace_root.join("Cargo.lock"));
        configuration.extend(crate::cargo::config::CargoConfig::candidates(
            self.workspace_root,
        ));
        configuration.extend(crate::cargo::toolchain::toolchain_files(
            self.workspace_root,
        ));
        scope.sort();
        scope.dedup();
        Read {
            sources,
            configuration,
            scope,
        }
    }
}
