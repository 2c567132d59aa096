//! Running `cargo build` for a set of binaries: one invocation, cargo's output where the caller
//! wants it, artifacts read back from cargo's JSON messages.
//!
//! This is synchronous and needs no async runtime: the engine runs it on a thread of its own
//! (see [`crate::ops::build`]), so a caller on any runtime, or none, is never blocked or required to
//! enable a driver.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use cargo_metadata::Message;
use rbee_graph_model::{Binary, WorkspaceGraph};

use crate::cargo::flags::{CargoFlags, FeatureRequest};
use crate::cargo::output::CargoOutput;
use crate::cargo::profile::Profile;
use crate::error::{Error, Result};

/// One `cargo build` of several binaries that share a package selection and a feature request.
pub struct CargoBuild<'a> {
    /// The workspace's root manifest.
    pub manifest_path: &'a Path,
    /// The workspace root: cargo runs there, so it reads the configuration the records
    /// describe, whatever directory the caller stands in.
    pub workspace_root: &'a Path,
    /// The profile.
    pub profile: &'a Profile,
    /// `-p PACKAGE`, when a plain `cargo build --bin NAME` would not select the binaries'
    /// package (or their names are ambiguous); `None` resolves features as the user's own
    /// `cargo build --bin NAME` does.
    pub package: Option<&'a str>,
    /// The binaries, in build order.
    pub binaries: &'a [Binary],
    /// The features, shared by every binary of the run.
    pub features: &'a FeatureRequest,
    /// The user's other cargo flags.
    pub flags: &'a CargoFlags,
    /// Where cargo's output goes.
    pub output: &'a CargoOutput,
}

impl CargoBuild<'_> {
    /// Whether rendered diagnostics carry colour.
    fn colour(&self) -> bool {
        match self.flags.color.as_deref() {
            Some("always") => true,
            Some("never") => false,
            _ => {
                matches!(self.output, CargoOutput::Inherit)
                    && std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

/// The arguments after `cargo`: `build --bin a --bin b ...`, so cargo builds them all in one
/// go, in parallel, with one feature resolution; `--keep-going`, so one binary that does not
/// compile does not stop the others.
pub fn cargo_args(build: &CargoBuild<'_>) -> Vec<String> {
    let format = if build.colour() {
        "json-diagnostic-rendered-ansi"
    } else {
        "json"
    };
    let mut args = vec![
        "build".to_owned(),
        "--manifest-path".to_owned(),
        build.manifest_path.display().to_string(),
        format!("--message-format={format}"),
        "--keep-going".to_owned(),
    ];
    args.extend(build.profile.cargo_args());
    if let Some(target) = &build.flags.target {
        args.extend(["--target".to_owned(), target.clone()]);
    }
    if let Some(package) = build.package {
        args.extend(["-p".to_owned(), package.to_owned()]);
    }
    for binary in build.binaries {
        args.extend(["--bin".to_owned(), binary.name.clone()]);
    }
    args.extend(build.features.cargo_args());
    args.extend(build.flags.build_args());
    if build.flags.color.is_none() && !matches!(build.output, CargoOutput::Inherit) {
        // Lines for a callback are plain text.
        args.extend(["--color".to_owned(), "never".to_owned()]);
    }
    args
}

/// Runs the build. Cargo's progress goes where [`CargoBuild::output`] says; its JSON messages
/// on stdout say where each binary was written and carry the compiler's diagnostics, which
/// are shown the same way.
///
/// A run in which some binaries compiled and others did not returns [`Built`] with
/// [`Built::failed`] set: the caller records what was built.
///
/// # Errors
/// [`Error::Cargo`] when cargo cannot be started or its output not read.
pub fn cargo_build(
    graph: &WorkspaceGraph,
    repo_root: &Path,
    build: &CargoBuild<'_>,
) -> Result<Built> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = cargo_args(build);
    tracing::info!("running cargo {}", args.join(" "));
    let inherit = matches!(build.output, CargoOutput::Inherit);
    let mut command = std::process::Command::new(&cargo);
    // Cargo takes a relative target directory from where it runs; the user meant the
    // directory they stand in, as their own `cargo build` would.
    for var in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"] {
        if let Some(dir) = std::env::var_os(var).filter(|d| !d.is_empty())
            && Path::new(&dir).is_relative()
            && let Ok(cwd) = std::env::current_dir()
        {
            command.env(var, cwd.join(dir));
        }
    }
    let mut child = command
        .args(&args)
        .current_dir(build.workspace_root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if inherit {
            Stdio::inherit()
        } else {
            Stdio::piped()
        })
        .spawn()
        .map_err(|e| Error::Cargo(format!("{}: {e}", Path::new(&cargo).display())))?;
    // Cargo's own lines (progress, its errors) on one thread, its JSON on this one.
    let stderr = child.stderr.take().map(|stderr| {
        let output = build.output.clone();
        std::thread::spawn(move || {
            let mut errors = Vec::new();
            for line in BufReader::new(stderr)
                .lines()
                .map_while(std::io::Result::ok)
            {
                output.deliver(&line);
                if line.starts_with("error") {
                    errors.push(line);
                }
            }
            errors
        })
    });
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut built = Built::default();
    let mut dep_infos = BTreeSet::new();
    let mut scripts: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for line in BufReader::new(stdout).split(b'\n') {
        let line = line.map_err(|e| Error::Cargo(e.to_string()))?;
        built
            .first_message
            .get_or_insert_with(std::time::SystemTime::now);
        match serde_json::from_slice::<Message>(&line) {
            Ok(Message::CompilerMessage(message)) => {
                let diagnostic = &message.message;
                if let Some(rendered) = &diagnostic.rendered {
                    show(build.output, rendered);
                }
                if matches!(
                    diagnostic.level,
                    cargo_metadata::diagnostic::DiagnosticLevel::Error
                        | cargo_metadata::diagnostic::DiagnosticLevel::Ice
                ) {
                    diagnostics.push(one_line_diagnostic(diagnostic));
                }
            }
            Ok(Message::CompilerArtifact(artifact)) => {
                dep_infos.extend(rustc_dep_infos(&artifact));
                let package_id = artifact.package_id.repr.clone();
                let manifest: PathBuf = artifact.manifest_path.clone().into();
                if artifact.target.is_custom_build() {
                    scripts.insert(package_id.clone(), manifest.clone());
                }
                let is_path = package_id.starts_with("path+") || package_id.contains("(path+");
                built.units.push(Unit {
                    is_path,
                    external: (!is_path).then(|| ExternalCrate::from_package_id(&package_id)),
                    dep_info: unit_dep_info(&artifact),
                    manifest,
                    src_path: artifact.target.src_path.clone().into(),
                });
                let Some(executable) = artifact.executable else {
                    continue;
                };
                if !artifact.target.is_bin() {
                    continue;
                }
                let dir = artifact
                    .manifest_path
                    .parent()
                    .map(|d| d.as_std_path().to_owned());
                let package = dir
                    .and_then(|d| crate::git::repo::repo_relative(&d, repo_root))
                    .and_then(|rel| graph.owner(&rel))
                    .map(|id| graph.package(id).name.clone());
                if let Some(package) = package {
                    let binary = Binary {
                        name: artifact.target.name.clone(),
                        package,
                    };
                    built.features.insert(
                        binary.clone(),
                        artifact.features.iter().map(ToString::to_string).collect(),
                    );
                    built.executables.insert(binary, executable.into());
                }
            }
            Ok(Message::BuildScriptExecuted(script)) => {
                // `cargo:rerun-if-env-changed=VAR` lines of the script's output.
                let output = script
                    .out_dir
                    .parent()
                    .and_then(|dir| std::fs::read_to_string(dir.join("output")).ok());
                let Some(output) = output else {
                    // What the script asked for is unknown: every file of its package counts.
                    built.whole_packages.insert(script.package_id.repr.clone());
                    continue;
                };
                let directive = |line: &'_ str, name: &str| -> Option<String> {
                    line.strip_prefix("cargo::")
                        .or_else(|| line.strip_prefix("cargo:"))?
                        .strip_prefix(name)?
                        .strip_prefix('=')
                        .map(|value| value.trim().to_owned())
                };
                built.env_vars.extend(
                    output
                        .lines()
                        .filter_map(|line| directive(line, "rerun-if-env-changed"))
                        .filter(|var| !set_for_build_scripts(var)),
                );
                if !output
                    .lines()
                    .any(|line| directive(line, "rerun-if-changed").is_some())
                {
                    built.whole_packages.insert(script.package_id.repr.clone());
                }
                built
                    .script_env
                    .extend(script.env.iter().map(|(name, _)| name.clone()));
            }
            _ => {}
        }
    }
    let status = child.wait().map_err(|e| Error::Cargo(e.to_string()))?;
    let cargo_errors = stderr
        .map(|thread| thread.join().unwrap_or_default())
        .unwrap_or_default();
    if !status.success() {
        let failed: Vec<Binary> = build
            .binaries
            .iter()
            .filter(|b| !built.executables.contains_key(b))
            .cloned()
            .collect();
        diagnostics.extend(
            cargo_errors
                .into_iter()
                .filter(|line| !line.starts_with("error: could not compile")),
        );
        if failed.is_empty() {
            // Every binary was written, yet cargo failed (a later step, a post-build error):
            // none of them is trusted.
            built.executables.clear();
            built.failed = build.binaries.to_vec();
        } else {
            built.failed = failed;
        }
        built.errors = diagnostics;
    }
    for dep_info in dep_infos {
        let text = std::fs::read_to_string(&dep_info).unwrap_or_default();
        let vars: Vec<String> = env_deps(&text)
            .filter(|var| !built.script_env.contains(var))
            .collect();
        built.env_vars.extend(vars);
    }
    // Build scripts by package id, to the manifest of their package.
    built.whole_packages = std::mem::take(&mut built.whole_packages)
        .into_iter()
        .map(|id| match scripts.get(&id) {
            Some(manifest) => manifest.display().to_string(),
            None => id,
        })
        .collect();
    Ok(built)
}

/// Shows one rendered diagnostic where cargo's output goes.
fn show(output: &CargoOutput, rendered: &str) {
    match output {
        CargoOutput::Inherit => {
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(rendered.as_bytes());
        }
        CargoOutput::Lines(_) => {
            for line in rendered.trim_end_matches('\n').lines() {
                output.deliver(line);
            }
        }
        CargoOutput::Discard => {}
    }
}

/// `error[E0425]: cannot find value `x` in this scope (src/main.rs:3:5)`.
fn one_line_diagnostic(diagnostic: &cargo_metadata::diagnostic::Diagnostic) -> String {
    let code = diagnostic
        .code
        .as_ref()
        .map(|c| format!("[{}]", c.code))
        .unwrap_or_default();
    let place = diagnostic
        .spans
        .iter()
        .find(|s| s.is_primary)
        .map(|s| format!(" ({}:{}:{})", s.file_name, s.line_start, s.column_start))
        .unwrap_or_default();
    let level = match diagnostic.level {
        cargo_metadata::diagnostic::DiagnosticLevel::Ice => "internal compiler error",
        _ => "error",
    };
    format!("{level}{code}: {}{place}", diagnostic.message)
}

/// What a cargo run produced.
#[derive(Debug, Default)]
pub struct Built {
    /// Where each binary was written.
    pub executables: BTreeMap<Binary, PathBuf>,
    /// When cargo's first JSON message arrived: everything cargo wrote before it, it wrote
    /// while resolving (the lock file).
    pub first_message: Option<std::time::SystemTime>,
    /// The features cargo enabled for each binary's package.
    pub features: BTreeMap<Binary, Vec<String>>,
    /// The binaries cargo did not build (the run failed for them).
    pub failed: Vec<Binary>,
    /// The compiler's and cargo's error messages, one line each, when the run failed.
    pub errors: Vec<String>,
    /// Every unit cargo built or found fresh.
    pub units: Vec<Unit>,
    /// The manifests (as paths) of packages whose build script named no `rerun-if-changed`:
    /// cargo reruns those when any file of the package changes.
    pub whole_packages: BTreeSet<String>,
    /// Variables build scripts set for rustc (`cargo:rustc-env`): cargo's, not the user's.
    pub script_env: BTreeSet<String>,
    /// Environment variables the build read: `env!`/`option_env!` in any crate of the run
    /// (rustc's `# env-dep:` lines) and build scripts' `rerun-if-env-changed`. Cargo rebuilds
    /// when one changes, so a binary is stale when one differs from the build.
    pub env_vars: BTreeSet<String>,
}

impl Built {
    /// The registry and git crates cargo compiled (or found fresh) in the run, by name and
    /// version; `None` when a package id did not say. A superset of what each binary of the
    /// run uses: an optional dependency that no enabled feature turns on, or one for another
    /// platform, is not in it.
    pub fn compiled_externals(&self) -> Option<BTreeSet<ExternalCrate>> {
        self.units
            .iter()
            .filter_map(|unit| unit.external.clone())
            .collect()
    }
}

/// A registry or git crate, as cargo's package ids name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExternalCrate {
    /// The package name.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl ExternalCrate {
    /// Reads a package id in either of cargo's forms: `registry+URL#name@version` (a package
    /// id spec, since cargo 1.77; `#version` alone when the name is the URL's last segment)
    /// and `name version (registry+URL)`.
    pub fn from_package_id(id: &str) -> Option<ExternalCrate> {
        if let Some((url, fragment)) = id.rsplit_once('#')
            && !id.ends_with(')')
        {
            let (name, version) = match fragment.split_once('@') {
                Some((name, version)) => (name.to_owned(), version),
                None => {
                    let path = url.split(['?', '#']).next()?;
                    let last = path.trim_end_matches('/').rsplit('/').next()?;
                    (last.trim_end_matches(".git").to_owned(), fragment)
                }
            };
            return is_version(version).then(|| ExternalCrate {
                name,
                version: version.to_owned(),
            });
        }
        let mut words = id.split(' ');
        let (name, version) = (words.next()?, words.next()?);
        (words.next()?.starts_with('(') && is_version(version)).then(|| ExternalCrate {
            name: name.to_owned(),
            version: version.to_owned(),
        })
    }
}

/// Whether `text` is a semantic version (`1.0.11`, `0.3.0-alpha.1+build`): anything else (a
/// commit id where a version was expected) makes the id one this engine does not read, and
/// then nothing is left out on its strength.
fn is_version(text: &str) -> bool {
    let core = text.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// One unit of a cargo run, as its `compiler-artifact` message describes it.
#[derive(Debug)]
pub struct Unit {
    /// Whether the package is a path package (a member or a path dependency): cargo's own
    /// dep-info of a binary covers those. Others (registry, git, vendored) are not in it.
    pub is_path: bool,
    /// For a registry or git package, its name and version (`None` in the inner option:
    /// cargo's package id did not parse).
    pub external: Option<Option<ExternalCrate>>,
    /// The package's manifest.
    pub manifest: PathBuf,
    /// The target's root source file.
    pub src_path: PathBuf,
    /// rustc's dep-info file of the unit, when its artifacts say where it is.
    pub dep_info: Option<PathBuf>,
}

/// The dep-info rustc wrote for an artifact in `deps/`: `deps/libfoo-<hash>.rlib` was written
/// with `deps/foo-<hash>.d`.
fn unit_dep_info(artifact: &cargo_metadata::Artifact) -> Option<PathBuf> {
    let crate_name = format!("{}-", artifact.target.name.replace('-', "_"));
    artifact.filenames.iter().find_map(|file| {
        let dir = file.parent()?;
        if dir.file_name() != Some("deps") {
            return None;
        }
        let name = file.file_name()?;
        let start = name.find(&crate_name)?;
        let stem = &name[start..];
        let stem = stem.split('.').next()?;
        let dep_info = dir.join(format!("{stem}.d"));
        dep_info.is_file().then(|| dep_info.into_std_path_buf())
    })
}

/// rustc's own dep-info files (`deps/<crate>-<hash>.d`) of an artifact's crate. A binary's
/// artifact names only its uplifted file, so every `deps/<crate>-*.d` of its crate counts (a
/// stale one only adds variables: the safe side).
fn rustc_dep_infos(artifact: &cargo_metadata::Artifact) -> Vec<PathBuf> {
    let crate_name = artifact.target.name.replace('-', "_");
    let Some(first) = artifact.filenames.first() else {
        return Vec::new();
    };
    let deps = match first.parent() {
        Some(dir) if dir.file_name() == Some("deps") => dir.as_std_path().to_owned(),
        Some(dir) => dir.as_std_path().join("deps"),
        None => return Vec::new(),
    };
    let prefix = format!("{crate_name}-");
    std::fs::read_dir(&deps)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|e| e == "d")
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect()
}

/// The variable names of rustc's `# env-dep:NAME=VALUE` (or `# env-dep:NAME`) lines, without
/// those cargo itself sets for every compilation (see [`set_for_rustc`]).
pub fn env_deps(dep_info: &str) -> impl Iterator<Item = String> + '_ {
    dep_info.lines().filter_map(|line| {
        let dep = line.strip_prefix("# env-dep:")?;
        let name = dep.split('=').next().unwrap_or(dep).trim();
        (!name.is_empty() && !set_for_rustc(name)).then(|| name.to_owned())
    })
}

/// Whether cargo sets `name` for every rustc it runs (`CARGO_PKG_VERSION`, `OUT_DIR`, ...):
/// its value follows the manifest and the build, not the user's environment, which may hold
/// another value (a daemon started with `cargo run` inherits cargo's). Anything else a crate
/// reads with `env!` (`DEBUG`, `PROFILE`, `CARGO_MAKE_PROFILE`) is the user's.
fn set_for_rustc(name: &str) -> bool {
    const PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_EXE_"];
    PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        || matches!(
            name,
            "CARGO"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "CARGO_SBOM_PATH"
                | "OUT_DIR"
        )
}

/// Whether cargo sets `name` for a build script: rustc's variables, and those that describe
/// the build (`TARGET`, `PROFILE`, `CARGO_CFG_*`, ...), which the record covers by profile,
/// target and toolchain.
fn set_for_build_scripts(name: &str) -> bool {
    const PREFIXES: &[&str] = &["CARGO_CFG_", "CARGO_FEATURE_", "DEP_"];
    set_for_rustc(name)
        || PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        || matches!(
            name,
            "TARGET"
                | "HOST"
                | "NUM_JOBS"
                | "OPT_LEVEL"
                | "DEBUG"
                | "PROFILE"
                | "RUSTC"
                | "RUSTDOC"
                | "RUSTC_LINKER"
                | "RUSTC_WRAPPER"
                | "RUSTC_WORKSPACE_WRAPPER"
                | "CARGO_ENCODED_RUSTFLAGS"
                | "CARGO_MAKEFLAGS"
        )
}

/// Sets the modification time of each existing file to now, so that cargo, which decides by
/// mtime, sees the content change the engine saw by hashing (a file restored with `cp -p`, a
/// cache unpacked with old dates, another worktree's build in a shared target directory).
pub fn touch(repo_root: &Path, paths: impl IntoIterator<Item = impl AsRef<Path>>) {
    let now = std::time::SystemTime::now();
    for path in paths {
        let path = repo_root.join(path);
        if !path.is_file() {
            continue;
        }
        let result = std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(now));
        match result {
            Ok(()) => tracing::debug!("touched {}", path.display()),
            // Cargo may then miss a change it would otherwise miss too; say so, do not fail.
            Err(e) => tracing::warn!("cannot update the mtime of {}: {e}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rustc_env_deps() {
        let text = "/t/deps/a.d: src/lib.rs\n\nsrc/lib.rs:\n\n# env-dep:CARGO_PKG_NAME=a\n# env-dep:RBEE_GREETING\n# env-dep:PROFILE\n";
        let vars: Vec<String> = env_deps(text).collect();
        assert_eq!(
            vars,
            ["RBEE_GREETING", "PROFILE"],
            "cargo's own variables are not the user's"
        );
    }

    #[test]
    fn reads_both_package_id_forms() {
        let crate_of = |id: &str| {
            ExternalCrate::from_package_id(id).map(|c| format!("{} {}", c.name, c.version))
        };
        let cases = [
            (
                "registry+https://github.com/rust-lang/crates.io-index#itoa@1.0.11",
                "itoa 1.0.11",
            ),
            (
                "git+https://github.com/o/cfg-if.git?branch=main#1.0.0",
                "cfg-if 1.0.0",
            ),
            (
                "git+https://github.com/o/repo?rev=abc#inner@0.2.0",
                "inner 0.2.0",
            ),
            (
                "itoa 1.0.11 (registry+https://github.com/rust-lang/crates.io-index)",
                "itoa 1.0.11",
            ),
            (
                "dep 0.1.0 (git+https://github.com/o/r?branch=x#0123abc)",
                "dep 0.1.0",
            ),
        ];
        for (id, expected) in cases {
            assert_eq!(crate_of(id).as_deref(), Some(expected), "{id}");
        }
        assert_eq!(crate_of("garbage"), None);
        assert_eq!(
            crate_of("git+https://github.com/o/repo?rev=abc#0123abcd"),
            None,
            "a commit where the version goes is not read as one"
        );
        assert_eq!(
            crate_of("registry+https://example.com/index#pre@0.3.0-alpha.1+b7").as_deref(),
            Some("pre 0.3.0-alpha.1+b7")
        );
    }
}
