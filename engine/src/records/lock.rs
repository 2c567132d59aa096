//! The engine's lock: one build at a time per target directory.
//!
//! An exclusive `flock` (through fs4) on `<target-dir>/rbee-graph/lock`. It is released when
//! the holder exits, even by SIGKILL, so a crashed build never leaves the lock behind. Every
//! record is written while it is held; freshness checks read without it and take it only when
//! something must be built.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct BuildLock {
    _file: File,
}

/// How long to wait quietly before saying that another process holds the lock.
const QUIET_WAIT: Duration = Duration::from_secs(1);

/// How often to try again while waiting quietly.
const POLL: Duration = Duration::from_millis(20);

impl BuildLock {
    /// Takes the lock in `state_dir`, waiting for another holder to finish. After a second of
    /// waiting it logs (at info level) that it waits, and for what. Blocking: the engine calls
    /// it on its own thread.
    pub fn acquire(state_dir: &Path) -> Result<BuildLock> {
        std::fs::create_dir_all(state_dir).map_err(Error::io(state_dir))?;
        let path = state_dir.join("lock");
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io(&path))?;
        let waiting_since = Instant::now();
        loop {
            // Called through the trait: std's own `File::lock` methods would shadow fs4's.
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(BuildLock { _file: file }),
                Err(fs4::TryLockError::WouldBlock) => {}
                Err(fs4::TryLockError::Error(e)) => return Err(Error::Io { path, error: e }),
            }
            if waiting_since.elapsed() >= QUIET_WAIT {
                break;
            }
            std::thread::sleep(POLL);
        }
        tracing::info!(
            "waiting for another rbee-graph build to finish (lock {})",
            path.display()
        );
        fs4::FileExt::lock(&file).map_err(Error::io(&path))?;
        Ok(BuildLock { _file: file })
    }
}
