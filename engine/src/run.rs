//! Running `cargo build` for a set of binaries: one invocation, output streamed, artifacts
//! read back from cargo's JSON messages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use cargo_metadata::Message;
use rbee_graph_model::{Binary, WorkspaceGraph};
use tokio::io::AsyncBufReadExt;

use crate::error::{Error, Result};
use crate::profile::Profile;

/// One `cargo build` of several binaries.
pub struct CargoBuild<'a> {
    /// The workspace's root manifest.
    pub manifest_path: &'a Path,
    /// The profile.
    pub profile: &'a Profile,
    /// The binaries, in build order, each with the features it requires.
    pub binaries: &'a [(Binary, Vec<String>)],
}

/// The arguments after `cargo`: `build --bin a --bin b ...` selecting each binary by package,
/// so cargo builds them all in one go, in parallel, with one feature resolution.
pub fn cargo_args(build: &CargoBuild<'_>) -> Vec<String> {
    let mut args = vec![
        "build".to_owned(),
        "--manifest-path".to_owned(),
        build.manifest_path.display().to_string(),
        "--message-format=json-render-diagnostics".to_owned(),
    ];
    args.extend(build.profile.cargo_args());
    for (binary, features) in build.binaries {
        args.extend([
            "-p".to_owned(),
            binary.package.clone(),
            "--bin".to_owned(),
            binary.name.clone(),
        ]);
        for feature in features {
            args.extend([
                "--features".to_owned(),
                format!("{}/{feature}", binary.package),
            ]);
        }
    }
    args
}

/// Runs the build. Cargo's progress and diagnostics go straight to our stderr; its JSON
/// messages on stdout say where each binary was written.
///
/// # Errors
/// [`Error::BuildFailed`] naming the binaries when cargo fails; [`Error::Cargo`] when cargo
/// cannot be started.
pub async fn cargo_build(
    graph: &WorkspaceGraph,
    repo_root: &Path,
    build: &CargoBuild<'_>,
) -> Result<Built> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = cargo_args(build);
    tracing::info!("running cargo {}", args.join(" "));
    let mut child = tokio::process::Command::new(&cargo)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::Cargo(format!("{}: {e}", Path::new(&cargo).display())))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = tokio::io::BufReader::new(stdout).split(b'\n');
    let mut built = Built::default();
    let mut dep_infos = BTreeSet::new();
    while let Some(line) = lines
        .next_segment()
        .await
        .map_err(|e| Error::Cargo(e.to_string()))?
    {
        match serde_json::from_slice::<Message>(&line) {
            Ok(Message::CompilerArtifact(artifact)) => {
                dep_infos.extend(rustc_dep_infos(&artifact));
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
                    .and_then(|d| rbee_graph_model::path::relative_to(&d, repo_root))
                    .and_then(|rel| graph.owner(&rel))
                    .map(|id| graph.package(id).name.clone());
                if let Some(package) = package {
                    let binary = Binary {
                        name: artifact.target.name.clone(),
                        package,
                    };
                    built.executables.insert(binary, executable.into());
                }
            }
            Ok(Message::BuildScriptExecuted(script)) => {
                // `cargo:rerun-if-env-changed=VAR` lines of the script's output.
                if let Some(dir) = script.out_dir.parent() {
                    let output = std::fs::read_to_string(dir.join("output")).unwrap_or_default();
                    built.env_vars.extend(output.lines().filter_map(|line| {
                        line.strip_prefix("cargo::rerun-if-env-changed=")
                            .or_else(|| line.strip_prefix("cargo:rerun-if-env-changed="))
                            .map(|var| var.trim().to_owned())
                            .filter(|var| !set_by_cargo(var))
                    }));
                }
            }
            _ => {}
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| Error::Cargo(e.to_string()))?;
    if !status.success() {
        return Err(Error::BuildFailed(
            build.binaries.iter().map(|(b, _)| b.name.clone()).collect(),
        ));
    }
    for dep_info in dep_infos {
        let text = std::fs::read_to_string(&dep_info).unwrap_or_default();
        built.env_vars.extend(env_deps(&text));
    }
    Ok(built)
}

/// What a cargo run produced.
#[derive(Debug, Default)]
pub struct Built {
    /// Where each binary was written.
    pub executables: BTreeMap<Binary, PathBuf>,
    /// Environment variables the build read: `env!`/`option_env!` in any crate of the run
    /// (rustc's `# env-dep:` lines) and build scripts' `rerun-if-env-changed`. Cargo rebuilds
    /// when one changes, so a binary is stale when one differs from the build.
    pub env_vars: BTreeSet<String>,
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
/// those cargo itself sets for every compilation (see [`set_by_cargo`]).
pub fn env_deps(dep_info: &str) -> impl Iterator<Item = String> + '_ {
    dep_info.lines().filter_map(|line| {
        let dep = line.strip_prefix("# env-dep:")?;
        let name = dep.split('=').next().unwrap_or(dep).trim();
        (!name.is_empty() && !set_by_cargo(name)).then(|| name.to_owned())
    })
}

/// Whether cargo sets `name` for rustc or a build script itself (`CARGO_PKG_VERSION`,
/// `OUT_DIR`, ...): its value follows the manifest and the build, not the user's environment,
/// which may hold another value (a daemon started with `cargo run` inherits cargo's).
fn set_by_cargo(name: &str) -> bool {
    name.starts_with("CARGO_")
        || matches!(
            name,
            "CARGO"
                | "OUT_DIR"
                | "TARGET"
                | "HOST"
                | "NUM_JOBS"
                | "OPT_LEVEL"
                | "DEBUG"
                | "PROFILE"
                | "RUSTC"
                | "RUSTDOC"
                | "RUSTC_LINKER"
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
        let text = "/t/deps/a.d: src/lib.rs\n\nsrc/lib.rs:\n\n# env-dep:CARGO_PKG_NAME=a\n# env-dep:RBEE_GREETING\n";
        let vars: Vec<String> = env_deps(text).collect();
        assert_eq!(
            vars,
            ["RBEE_GREETING"],
            "cargo's own variables are not the user's"
        );
    }
}
