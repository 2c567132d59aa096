//! Build records: what the engine knew about a binary's inputs when it built it.
//!
//! One JSON file per (triple, profile, package, binary) under
//! `<target-dir>/rbee-graph/records/`, so `cargo clean` forgets them together with the
//! binaries. Written atomically and only after cargo reported success; read without a lock
//! (a rename is atomic, so a reader sees a whole record or none).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rbee_graph_model::Binary;
use serde::{Deserialize, Serialize};

use crate::cargo::profile::Profile;
use crate::error::Result;
use crate::records::inputs::Inputs;
use crate::stamp::{Stamp, write_atomically};

/// The record format this engine writes. A record with a higher number was written by a newer
/// rbee-graph: it is not trusted (stale) and is replaced on the next build.
pub const SCHEMA: u32 = 3;

/// What was recorded about one build of one binary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The format version, [`SCHEMA`].
    pub schema: u32,
    /// The binary.
    pub binary: Binary,
    /// The cargo profile it was built with.
    pub profile: String,
    /// The target triple.
    pub target: String,
    /// The features cargo enabled for the binary's package in this build.
    pub features: Vec<String>,
    /// The feature flags the build was given: a request for other features makes it stale.
    pub feature_request: crate::cargo::flags::FeatureRequest,
    /// The binary's `required-features`, from its manifest at the build.
    pub required_features: Vec<String>,
    /// The directory cargo ran in (the workspace root): where it looked for configuration.
    pub workspace_root: PathBuf,
    /// The commit HEAD pointed at when the build started.
    pub commit: String,
    /// Every path that differed from `commit` when the build started, with the blob id of its
    /// content then (`None`: deleted).
    pub dirty: BTreeMap<String, Option<String>>,
    /// `rustc -vV`.
    pub toolchain: String,
    /// The environment cargo reads (see [`crate::cargo::toolchain::build_environment`]).
    pub environment: BTreeMap<String, String>,
    /// Environment variables the build read through `env!`, `option_env!` or a build
    /// script's `rerun-if-env-changed`, with their values then (`None`: unset).
    #[serde(default)]
    pub env_deps: BTreeMap<String, Option<String>>,
    /// The `Cargo.lock` entries the binary reaches, keyed by `name version source`.
    pub lock_entries: BTreeMap<String, LockedEntry>,
    /// The registry and git crates the build compiled, as `name version`; `None` in records
    /// written before they were kept. They narrow `lock_entries` (and `affected --base`'s
    /// lock rule) to what the binary's features and platform turned on.
    #[serde(default)]
    pub externals: Option<BTreeSet<String>>,
    /// The lock file cargo read; when its content differs, the entries above are compared.
    pub lock_file: PathBuf,
    /// Every file the build read, by the path cargo reported, with its content then: the
    /// dep-info of every local unit (sources, `include_str!` files, build scripts and their
    /// `rerun-if-changed` paths), the manifests, the lock file, the configuration cargo and
    /// rustup read (absent files too: one that appears is a change).
    pub inputs: Inputs,
    /// Directories of packages (repository-relative) whose build script names no
    /// `rerun-if-changed`: cargo reruns it when any file of the package changes, which only
    /// git can tell (it honours `.gitignore`, as cargo's own file list does). Compared with
    /// the recorded commit and `dirty`; empty for most binaries, and then git is not asked.
    pub scope: Vec<String>,
    /// The binary file written.
    pub executable: PathBuf,
    /// What the binary file looked like right after the build.
    pub executable_stamp: Stamp,
}

/// Why a record could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// There is none.
    Missing,
    /// It does not parse.
    Corrupt(String),
    /// A newer rbee-graph wrote it.
    FutureSchema(u32),
}

/// Where the records of one target directory live.
#[derive(Clone, Debug)]
pub struct RecordStore {
    dir: PathBuf,
}

impl RecordStore {
    /// The store inside `state_dir` (`<target-dir>/rbee-graph`).
    pub fn new(state_dir: &Path) -> RecordStore {
        RecordStore {
            dir: state_dir.join("records"),
        }
    }

    /// The file holding the record of `binary` built with `profile` for `triple`. Package and
    /// binary names are restricted by cargo to characters that are safe in file names.
    pub fn path(&self, binary: &Binary, profile: &Profile, triple: &str) -> PathBuf {
        self.dir
            .join(safe(triple))
            .join(safe(profile.name()))
            .join(safe(&binary.package))
            .join(format!("{}.json", safe(&binary.name)))
    }

    /// Reads a record.
    pub fn read(
        &self,
        binary: &Binary,
        profile: &Profile,
        triple: &str,
    ) -> Result<Record, Unusable> {
        let bytes = match std::fs::read(self.path(binary, profile, triple)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unusable::Missing),
            Err(e) => return Err(Unusable::Corrupt(e.to_string())),
        };
        parse(&bytes)
    }

    /// Writes a record atomically.
    pub fn write(&self, record: &Record, profile: &Profile) -> Result<()> {
        let path = self.path(&record.binary, profile, &record.target);
        let json = serde_json::to_vec_pretty(record).expect("records serialize");
        write_atomically(&path, &json)
    }
}

/// Parses a record file, telling a future format apart from garbage.
pub fn parse(bytes: &[u8]) -> Result<Record, Unusable> {
    #[derive(Deserialize)]
    struct Version {
        schema: u32,
    }
    let version: Version =
        serde_json::from_slice(bytes).map_err(|e| Unusable::Corrupt(e.to_string()))?;
    if version.schema > SCHEMA {
        return Err(Unusable::FutureSchema(version.schema));
    }
    if version.schema < SCHEMA {
        return Err(Unusable::Corrupt(format!(
            "format {}, written by an older rbee-graph that did not record every input",
            version.schema
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| Unusable::Corrupt(e.to_string()))
}

/// Keeps a name to the characters cargo allows in package and target names, so a record path
/// can never leave the records directory.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

/// What a record keeps of one lock entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockedEntry {
    /// The crate name.
    pub name: String,
    /// Its registry checksum.
    pub checksum: Option<String>,
    /// Its dependencies, as `name version`.
    pub dependencies: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_and_garbage_records_are_told_apart() {
        assert_eq!(parse(br#"{"schema": 99}"#), Err(Unusable::FutureSchema(99)));
        assert!(matches!(
            parse(b"{\"schema\": 2"),
            Err(Unusable::Corrupt(_))
        ));
        assert!(matches!(parse(b"\x00\x01"), Err(Unusable::Corrupt(_))));
        assert!(matches!(
            parse(br#"{"schema": 2}"#),
            Err(Unusable::Corrupt(_))
        ));
    }

    #[test]
    fn names_cannot_escape_the_store() {
        let store = RecordStore::new(Path::new("/t/rbee-graph"));
        let binary = Binary {
            name: "../../evil".into(),
            package: "a/b".into(),
        };
        let path = store.path(&binary, &Profile::dev(), "x86_64");
        assert!(
            path.starts_with("/t/rbee-graph/records"),
            "{}",
            path.display()
        );
        assert!(
            !path
                .components()
                .any(|c| c == std::path::Component::ParentDir)
        );
    }
}
