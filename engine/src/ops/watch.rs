//! Watch mode: run a cascade of daemons, and when a change makes some of them stale, rebuild
//! those in one cargo run and restart only them.
//!
//! rbee-graph supervises the cascade itself: it starts every binary the root spawns,
//! transitively, spawner first, each in a process group of its own, with
//! `RBEE_GRAPH_SUPERVISED=1` in its environment so a daemon knows not to spawn its children
//! (the supervisor does). A change under the workspace (the `notify` crate, debounced) triggers
//! the usual freshness check; files git ignores or that no binary reads make nothing stale, so
//! they restart nothing. A failed build leaves every daemon running.
//!
//! Stopping a daemon sends SIGTERM to its process group, waits a grace period, then SIGKILL; a
//! daemon also gets SIGTERM if rbee-graph itself dies (Linux `PR_SET_PDEATHSIG`), so no orphan
//! survives its supervisor.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rbee_graph_model::Binary;
use tokio::sync::mpsc;

use crate::cargo::profile::Profile;
use crate::cargo::snapshot;
use crate::error::{Error, Result};
use crate::observe::freshness::{Checker, StaleReason};
use crate::ops::build;
use crate::ops::select;

/// What to watch.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// The workspace manifest; `None` finds it from the current directory.
    pub manifest_path: Option<PathBuf>,
    /// The cascade root.
    pub root: String,
    /// The package holding the root, when its name is not unique.
    pub package: Option<String>,
    /// Arguments for the root daemon.
    pub args: Vec<String>,
    /// The profile; `None` is the configured one, else `dev`.
    pub profile: Option<Profile>,
    /// Cargo's flags.
    pub cargo: crate::CargoFlags,
    /// How long the workspace must be quiet before a change is acted on.
    pub debounce: Duration,
    /// How long a daemon gets to exit after SIGTERM before SIGKILL.
    pub grace: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            manifest_path: None,
            root: String::new(),
            package: None,
            cargo: crate::CargoFlags::default(),
            args: Vec::new(),
            profile: None,
            debounce: Duration::from_millis(300),
            grace: Duration::from_secs(3),
        }
    }
}

/// What happened, for the caller to show.
#[derive(Debug)]
pub enum WatchEvent {
    /// A daemon was started.
    Started {
        /// The daemon.
        binary: Binary,
        /// Its process id.
        pid: u32,
    },
    /// Files changed; these daemons are stale and being rebuilt.
    Rebuilding {
        /// The stale daemons, with why (most direct reason first).
        stale: Vec<(Binary, Vec<StaleReason>)>,
    },
    /// A daemon was stopped and started again from its new binary.
    Restarted {
        /// The daemon.
        binary: Binary,
        /// The process that was stopped.
        old_pid: u32,
        /// The new process.
        pid: u32,
    },
    /// The rebuild failed; the old daemons keep running.
    BuildFailed {
        /// Why.
        error: Error,
    },
    /// A daemon exited on its own.
    Exited {
        /// The daemon.
        binary: Binary,
        /// Its exit code, if it had one.
        code: Option<i32>,
    },
}

struct Daemon {
    child: tokio::process::Child,
    pid: u32,
    exited: bool,
}

/// Runs the cascade until `shutdown` completes, then stops every daemon.
pub async fn watch(
    options: &WatchOptions,
    mut on_event: impl FnMut(WatchEvent),
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let manifest_path = options.manifest_path.as_deref();
    let (root, cascade, profile, state_dir, workspace_root, ignored_dirs) = {
        let worktree = snapshot::load_worktree(manifest_path)?;
        let graph = &worktree.snapshot.graph;
        let root = select::binary(graph, &options.root, options.package.as_deref())?;
        let spawns = graph.spawn_pairs(&worktree.snapshot.config.spawns);
        let cascade = graph.order_binaries(
            select::cascade(graph, &worktree.snapshot.config.spawns, &root),
            &spawns,
        )?;
        let profile = crate::ops::status::profile(&worktree, options.profile.as_ref());
        let ignored_dirs = [
            worktree.target_directory.clone(),
            worktree.repo.workdir().join(".git"),
        ];
        (
            root,
            cascade,
            profile,
            worktree.state_dir(),
            worktree.workspace_root.clone(),
            ignored_dirs,
        )
    };
    let request = crate::ops::plan::StaleBuild {
        manifest_path: options.manifest_path.clone(),
        state_dir: state_dir.clone(),
        targets: cascade.clone(),
        profile: profile.clone(),
        flags: options.cargo.clone(),
        output: crate::CargoOutput::Inherit,
        force: false,
    };
    let outcome = build::off_thread(move || crate::ops::plan::build_stale(&request)).await?;

    let mut daemons = BTreeMap::new();
    for binary in &cascade {
        let path = &outcome.executables[binary];
        let args = if *binary == root {
            options.args.as_slice()
        } else {
            &[]
        };
        let daemon = start(path, args, &workspace_root)?;
        on_event(WatchEvent::Started {
            binary: binary.clone(),
            pid: daemon.pid,
        });
        daemons.insert(binary.clone(), daemon);
    }

    let (tx, mut changes) = mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            for path in event.paths {
                let _ = tx.send(path);
            }
        }
    })
    .map_err(|e| Error::Watch(e.to_string()))?;
    notify::Watcher::watch(
        &mut watcher,
        &workspace_root,
        notify::RecursiveMode::Recursive,
    )
    .map_err(|e| Error::Watch(e.to_string()))?;

    tokio::pin!(shutdown);
    let mut poll = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = poll.tick() => {
                for (binary, daemon) in daemons.iter_mut() {
                    if !daemon.exited && let Ok(Some(status)) = daemon.child.try_wait() {
                        daemon.exited = true;
                        on_event(WatchEvent::Exited { binary: binary.clone(), code: status.code() });
                    }
                }
            }
            Some(path) = changes.recv() => {
                if ignored_dirs.iter().any(|dir| path.starts_with(dir)) {
                    continue;
                }
                // Debounce: act once the workspace has been quiet for a moment.
                while let Ok(Some(_)) = tokio::time::timeout(options.debounce, changes.recv()).await {}
                let result = rebuild(options, &cascade, &profile, &mut daemons, &workspace_root, &mut on_event).await;
                // A failed build, or a workspace broken for now (a manifest mid-edit): say so,
                // keep the daemons running, and try again on the next change.
                if let Err(e) = result {
                    on_event(WatchEvent::BuildFailed { error: e });
                }
            }
        }
    }
    for daemon in daemons.values_mut().rev() {
        stop(daemon, options.grace).await;
    }
    Ok(())
}

/// Finds the stale daemons of the cascade, rebuilds them in one cargo run, restarts them.
async fn rebuild(
    options: &WatchOptions,
    cascade: &[Binary],
    profile: &Profile,
    daemons: &mut BTreeMap<Binary, Daemon>,
    workspace_root: &Path,
    on_event: &mut impl FnMut(WatchEvent),
) -> Result<()> {
    let (stale, state_dir) = {
        let worktree = snapshot::load_worktree(options.manifest_path.as_deref())?;
        let mut checker = Checker::new(&worktree, profile, &options.cargo)?;
        let mut stale = Vec::new();
        for binary in cascade {
            let verdict = checker.check(binary)?;
            if !verdict.is_fresh() {
                stale.push((binary.clone(), verdict.reasons));
            }
        }
        (stale, worktree.state_dir())
    };
    if stale.is_empty() {
        return Ok(());
    }
    on_event(WatchEvent::Rebuilding {
        stale: stale.clone(),
    });
    let binaries: Vec<Binary> = stale.into_iter().map(|(b, _)| b).collect();
    let request = crate::ops::plan::StaleBuild {
        manifest_path: options.manifest_path.clone(),
        state_dir,
        targets: binaries.clone(),
        profile: profile.clone(),
        flags: options.cargo.clone(),
        output: crate::CargoOutput::Inherit,
        force: false,
    };
    let outcome = build::off_thread(move || crate::ops::plan::build_stale(&request)).await?;
    for binary in &binaries {
        let Some(daemon) = daemons.get_mut(binary) else {
            continue;
        };
        let old_pid = daemon.pid;
        stop(daemon, options.grace).await;
        let args = if *binary == cascade[0] {
            options.args.as_slice()
        } else {
            &[]
        };
        *daemon = start(&outcome.executables[binary], args, workspace_root)?;
        on_event(WatchEvent::Restarted {
            binary: binary.clone(),
            old_pid,
            pid: daemon.pid,
        });
    }
    Ok(())
}

fn start(path: &Path, args: &[String], dir: &Path) -> Result<Daemon> {
    let mut command = tokio::process::Command::new(path);
    command
        .args(args)
        .current_dir(dir)
        .env("RBEE_GRAPH_SUPERVISED", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    #[cfg(unix)]
    {
        // Its own process group, so stopping it stops what it started too.
        command.process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe and touches only the child's own state.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let child = command.spawn().map_err(|e| Error::Io {
        path: path.to_owned(),
        error: e,
    })?;
    let pid = child.id().unwrap_or_default();
    Ok(Daemon {
        child,
        pid,
        exited: false,
    })
}

/// SIGTERM to the daemon's process group, up to `grace` to exit, then SIGKILL.
async fn stop(daemon: &mut Daemon, grace: Duration) {
    if daemon.exited {
        return;
    }
    #[cfg(unix)]
    {
        // SAFETY: killpg only sends a signal; the group id is the daemon's own pid.
        unsafe {
            libc::killpg(daemon.pid as libc::pid_t, libc::SIGTERM);
        }
        if tokio::time::timeout(grace, daemon.child.wait())
            .await
            .is_ok()
        {
            daemon.exited = true;
            return;
        }
        // SAFETY: as above.
        unsafe {
            libc::killpg(daemon.pid as libc::pid_t, libc::SIGKILL);
        }
    }
    let _ = daemon.child.kill().await;
    daemon.exited = true;
}
