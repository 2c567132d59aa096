//! What cargo last compiled, per target directory: the content every source had when a build
//! through rbee-graph last read it.
//!
//! Cargo decides by mtime, so it misses a change whose mtime goes back (`cp -p`, a restored
//! cache, another worktree that shares the target directory, a library rebuilt for another
//! binary and then restored). The target directory is shared by every binary and every
//! worktree that uses it, so this is kept once for it, not per binary: before a build, every
//! source whose content differs from what cargo last compiled gets a fresh mtime, and cargo
//! recompiles it, whichever binary it was compiled for before.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::records::inputs::{self, Input, Inputs};
use crate::stamp::write_atomically;

/// The contents cargo last compiled, by source path.
#[derive(Debug, Default)]
pub struct Compiled {
    file: PathBuf,
    sources: Inputs,
}

impl Compiled {
    /// Reads what is kept in `state_dir` (`<target-dir>/rbee-graph`). A file that is missing or
    /// does not parse holds nothing: the next build then relies on the records alone.
    pub fn load(state_dir: &Path) -> Compiled {
        let file = state_dir.join("compiled.json");
        let sources = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Compiled { file, sources }
    }

    /// The sources whose content now differs from what cargo last compiled.
    pub fn differing(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .filter(|(path, input)| inputs::changed(path, input))
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// Every source kept.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.sources.keys().map(PathBuf::as_path)
    }

    /// Notes what a build read.
    pub fn update<'a>(&mut self, read: impl IntoIterator<Item = (&'a PathBuf, &'a Input)>) {
        for (path, input) in read {
            self.sources.insert(path.clone(), input.clone());
        }
    }

    /// Writes it back, atomically.
    pub fn save(&self) -> Result<()> {
        let json = serde_json::to_vec(&self.sources).expect("fingerprints serialize");
        write_atomically(&self.file, &json)
    }
}

/// A map from path to stamp of every path given, for [`inputs::settle`].
pub fn stamps<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
) -> BTreeMap<PathBuf, crate::stamp::Stamp> {
    paths
        .into_iter()
        .map(|path| (path.to_owned(), crate::stamp::Stamp::of(path)))
        .collect()
}
