//! Saying what a slow phase is doing, and only when it is slow.
//!
//! Most of what the engine does takes milliseconds and should not print anything. A phase
//! that might take longer (running `cargo metadata` on a large workspace, reading a commit's
//! manifests, comparing a large working tree) is wrapped in a [`Phase`]: if it is still running
//! after a second, its description is logged at info level, once. The CLI shows info messages
//! on a terminal and keeps quiet when piped.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long a phase may run before it is announced.
const QUIET: Duration = Duration::from_secs(1);

/// A running phase; dropping it ends it.
#[must_use = "the phase ends when this is dropped"]
pub struct Phase {
    done: Arc<(Mutex<bool>, Condvar)>,
}

/// Starts a phase described by `what` (for example "reading the workspace at 1a2b3c4d").
pub fn phase(what: impl Into<String>) -> Phase {
    let what = what.into();
    let done = Arc::new((Mutex::new(false), Condvar::new()));
    let watcher = Arc::clone(&done);
    // A thread costs microseconds; phases are the slow paths only, never the fresh check.
    std::thread::spawn(move || {
        let (lock, ended) = &*watcher;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, timeout) = ended
            .wait_timeout_while(guard, QUIET, |done| !*done)
            .unwrap_or_else(|e| e.into_inner());
        if timeout.timed_out() && !*guard {
            tracing::info!("{what}...");
        }
    });
    Phase { done }
}

impl Drop for Phase {
    fn drop(&mut self) {
        let (lock, ended) = &*self.done;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        ended.notify_all();
    }
}
