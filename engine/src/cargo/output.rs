//! Where cargo's output goes while the engine builds.

use std::fmt;
use std::sync::Arc;

/// What happens to the lines cargo prints (progress, warnings, errors) during a build.
///
/// Whatever is chosen, a failed build's [`crate::Error::BuildFailed`] carries the compiler's
/// error messages.
#[derive(Clone, Default)]
pub enum CargoOutput {
    /// Cargo writes to this process's stderr, as if the user had typed `cargo build` (the
    /// CLI's choice).
    #[default]
    Inherit,
    /// Each line is handed to the callback, without colour, as cargo prints it: what a daemon
    /// streams to its users. It is called from a thread of the engine's.
    Lines(Arc<dyn Fn(&str) + Send + Sync>),
    /// Nothing is shown.
    Discard,
}

impl CargoOutput {
    /// Lines to `callback`.
    pub fn lines(callback: impl Fn(&str) + Send + Sync + 'static) -> CargoOutput {
        CargoOutput::Lines(Arc::new(callback))
    }

    /// Lines into a channel; lines are dropped once the receiver is gone.
    pub fn channel(sender: std::sync::mpsc::Sender<String>) -> CargoOutput {
        let sender = std::sync::Mutex::new(sender);
        CargoOutput::lines(move |line| {
            if let Ok(sender) = sender.lock() {
                let _ = sender.send(line.to_owned());
            }
        })
    }

    /// Hands `line` to whoever wants it; only for the piped choices.
    pub(crate) fn deliver(&self, line: &str) {
        if let CargoOutput::Lines(callback) = self {
            callback(line);
        }
    }
}

impl fmt::Debug for CargoOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CargoOutput::Inherit => "Inherit",
            CargoOutput::Lines(_) => "Lines(..)",
            CargoOutput::Discard => "Discard",
        })
    }
}
