//! Running `cargo build` for a set of binaries: one invocation, output streamed, artifacts
//! read back from cargo's JSON messages.

use std::collections::BTreeMap;
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
) -> Result<BTreeMap<Binary, PathBuf>> {
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
    let mut executables = BTreeMap::new();
    while let Some(line) = lines
        .next_segment()
        .await
        .map_err(|e| Error::Cargo(e.to_string()))?
    {
        let Ok(Message::CompilerArtifact(artifact)) = serde_json::from_slice::<Message>(&line)
        else {
            continue;
        };
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
            .and_then(|d| {
                d.strip_prefix(repo_root)
                    .ok()
                    .map(|r| r.to_string_lossy().replace('\\', "/"))
            })
            .and_then(|rel| graph.owner(&rel))
            .map(|id| graph.package(id).name.clone());
        if let Some(package) = package {
            executables.insert(
                Binary {
                    name: artifact.target.name.clone(),
                    package,
                },
                executable.into(),
            );
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
    Ok(executables)
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
