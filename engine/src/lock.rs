//! The engine's lock: one build at a time per target directory.
//!
//! An exclusive `flock` (through fs4) on `<target-dir>/rbee-graph/lock`. It is released when
//! the holder exits, even by SIGKILL, so a crashed build never leaves the lock behind. Every
//! record is written while it is held; freshness checks read without it and take it only when
//! something must be built.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct BuildLock {
    _file: File,
}

/// How long to wait quietly before saying that another process holds the lock.
const QUIET_WAIT: Duration = Duration::from_secs(1);

impl BuildLock {
    /// Takes the lock in `state_dir`, waiting for another holder to finish. After a second of
    /// waiting it logs (at info level) that it waits, and for what.
    pub async fn acquire(state_dir: &Path) -> Result<BuildLock> {
        std::fs::create_dir_all(state_dir).map_err(Error::io(state_dir))?;
        let path = state_dir.join("lock");
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io(&path))?;
        // Called through the trait: std's own `File::lock` methods would shadow fs4's.
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => return Ok(BuildLock { _file: file }),
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(Error::Io { path, source: e }),
        }
        let waiting = tokio::task::spawn_blocking(move || fs4::FileExt::lock(&file).map(|()| file));
        tokio::pin!(waiting);
        let file = tokio::select! {
            done = &mut waiting => done,
            () = tokio::time::sleep(QUIET_WAIT) => {
                tracing::info!("waiting for another rbee-graph build to finish (lock {})", path.display());
                (&mut waiting).await
            }
        };
        let file = file
            .expect("the lock task does not panic")
            .map_err(Error::io(&path))?;
        Ok(BuildLock { _file: file })
    }
}
