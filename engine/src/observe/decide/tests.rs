//! The freshness decision as a table: a record built in memory (with a real executable and
//! real input files in a temporary directory, since `decide` stats the binary and the default
//! [`Facts::content_now`] reads inputs), facts held in memory, and the answer rendered one
//! line per [`Dirty`] reason with the temporary directory shown as `[ROOT]`.
//!
//! Each case starts from a record that is fresh (`fresh_record_is_fresh`) and changes one
//! thing about the world or the record.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rbee_graph_model::Binary;

use super::{Dirty, Facts, decide};
use crate::cargo::flags::{CargoFlags, FeatureRequest};
use crate::error::Result;
use crate::records::format::{LockedEntry, Record, SCHEMA};
use crate::records::inputs::{self, Content, Input};
use crate::stamp::Stamp;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const TOOLCHAIN: &str = "rustc 1.90.0 (1159e78c4 2025-09-14)\nhost: x86_64-unknown-linux-gnu";
/// A variable no test environment sets: `env_deps` are read from the process environment.
const UNSET: &str = "RBEE_GRAPH_DECIDE_TESTS_NEVER_SET";

/// What the world says now, in memory.
struct World {
    root: PathBuf,
    toolchain: String,
    flags: CargoFlags,
    environment: BTreeMap<String, String>,
    commits: BTreeSet<String>,
    /// Inputs whose content is given rather than read from the disk.
    contents: BTreeMap<PathBuf, Content>,
    /// `None`: the lock entries cannot be compared here (the fast path).
    lock_entries: Option<BTreeMap<String, LockedEntry>>,
    /// What git says changed in the record's scope.
    scope_changes: BTreeSet<String>,
    /// Whether `changed_in_scope` was called.
    scope_asked: bool,
}

impl Facts for World {
    fn workspace_root(&self) -> &Path {
        &self.root
    }
    fn toolchain(&self) -> &str {
        &self.toolchain
    }
    fn explicit_target(&self) -> bool {
        false
    }
    fn flags(&self) -> &CargoFlags {
        &self.flags
    }
    fn environment(&self) -> &BTreeMap<String, String> {
        &self.environment
    }
    fn has_commit(&mut self, commit: &str) -> bool {
        self.commits.contains(commit)
    }
    fn content_now(&mut self, path: &Path, recorded: &Input) -> Content {
        match self.contents.get(path) {
            Some(content) => content.clone(),
            None => inputs::content_now(path, recorded),
        }
    }
    fn lock_entries_now(&mut self, _: &Record) -> Option<BTreeMap<String, LockedEntry>> {
        self.lock_entries.clone()
    }
    fn changed_in_scope(&mut self, _: &Record) -> Result<BTreeSet<String>> {
        self.scope_asked = true;
        Ok(self.scope_changes.clone())
    }
}

/// A workspace on disk with one built binary: `app` of package `app`, built from
/// `src/main.rs`, with `Cargo.lock` and an absent `.cargo/config.toml` as inputs.
struct Built {
    dir: tempfile::TempDir,
    record: Record,
    world: World,
}

fn itoa() -> (String, LockedEntry) {
    (
        "itoa 1.0.15 registry+https://github.com/rust-lang/crates.io-index".to_owned(),
        LockedEntry {
            name: "itoa".to_owned(),
            checksum: Some(
                "4a5f13b858c8d314ee3e8f639011f7ccefe71f97f96e50151fb991f267928e2c".into(),
            ),
            dependencies: Vec::new(),
        },
    )
}

impl Built {
    fn new() -> Built {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical tempdir");
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
            path
        };
        let main = write("src/main.rs", "fn main() {}\n");
        let lock = write("Cargo.lock", "version = 4\n");
        let config = root.join(".cargo/config.toml");
        let executable = write("target/debug/app", "\x7fELF built");
        let inputs = [&main, &lock, &config]
            .into_iter()
            .map(|path| (path.clone(), inputs::fingerprint(path)))
            .collect();
        let record = Record {
            schema: SCHEMA,
            binary: Binary {
                name: "app".to_owned(),
                package: "app".to_owned(),
            },
            profile: "dev".to_owned(),
            target: "x86_64-unknown-linux-gnu".to_owned(),
            features: vec!["default".to_owned()],
            feature_request: FeatureRequest::default(),
            required_features: Vec::new(),
            workspace_root: root.clone(),
            commit: COMMIT.to_owned(),
            dirty: BTreeMap::new(),
            toolchain: TOOLCHAIN.to_owned(),
            environment: BTreeMap::from([("RUSTFLAGS".to_owned(), "-Dwarnings".to_owned())]),
            env_deps: BTreeMap::from([(UNSET.to_owned(), None)]),
            lock_entries: BTreeMap::from([itoa()]),
            externals: None,
            lock_file: lock,
            inputs,
            scope: Vec::new(),
            executable_stamp: Stamp::of(&executable),
            executable,
        };
        let world = World {
            root,
            toolchain: TOOLCHAIN.to_owned(),
            flags: CargoFlags::default(),
            environment: record.environment.clone(),
            commits: BTreeSet::from([COMMIT.to_owned()]),
            contents: BTreeMap::new(),
            lock_entries: Some(record.lock_entries.clone()),
            scope_changes: BTreeSet::new(),
            scope_asked: false,
        };
        Built { dir, record, world }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.world.root.join(rel)
    }

    /// Decides and compares the rendered answer with `expect`.
    fn check(&mut self, expect: &str) {
        let dirty = decide(&self.record, &mut self.world).expect("decide");
        let root = self.dir.path().canonicalize().expect("canonical tempdir");
        let actual: Vec<String> = dirty
            .iter()
            .map(|d| render(d).replace(root.to_str().expect("UTF-8 tempdir"), "[ROOT]"))
            .collect();
        let actual = actual.join("\n");
        assert_eq!(actual, expect.trim(), "\n--- actual ---\n{actual}\n");
    }
}

fn content(content: &Content) -> String {
    match content {
        Content::Absent => "absent".to_owned(),
        Content::File(digest) => format!("file {}", &digest[..7]),
        Content::Dir(digest) => format!("dir {}", &digest[..7]),
        Content::Unsettled => "unsettled".to_owned(),
    }
}

fn features(request: &FeatureRequest) -> String {
    let mut parts: Vec<String> = request.features.iter().cloned().collect();
    if request.all_features {
        parts.push("--all-features".to_owned());
    }
    if request.no_default_features {
        parts.push("--no-default-features".to_owned());
    }
    format!("[{}]", parts.join(" "))
}

fn render(dirty: &Dirty) -> String {
    let value = |v: &Option<String>| {
        v.as_deref()
            .map_or("unset".to_owned(), |v| format!("{v:?}"))
    };
    match dirty {
        Dirty::ExecutableMissing(path) => format!("executable missing {}", path.display()),
        Dirty::ExecutableReplaced(path) => format!("executable replaced {}", path.display()),
        Dirty::CommitMissing(commit) => format!("commit missing {commit}"),
        Dirty::OtherWorkspace(root) => format!("other workspace {}", root.display()),
        Dirty::Toolchain => "toolchain".to_owned(),
        Dirty::Features { then, now } => {
            format!("features {} -> {}", features(then), features(now))
        }
        Dirty::Environment {
            variable,
            then,
            now,
        } => format!("environment {variable}: {} -> {}", value(then), value(now)),
        Dirty::Input { path, then, now } => format!(
            "input {}: {} -> {}",
            path.display(),
            content(then),
            content(now)
        ),
        Dirty::LockEntries(names) => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            format!("lock entries {}", names.join(" "))
        }
        Dirty::LockFileChanged => "lock file changed".to_owned(),
        Dirty::PackageFiles(paths) => {
            let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
            format!("package files {}", paths.join(" "))
        }
    }
}

/// Sets the modification time of `path` to `secs` seconds from now.
fn set_mtime(path: &Path, secs: u64) {
    let later = SystemTime::now() + Duration::from_secs(secs);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(later))
        .expect("set the modification time");
}

#[test]
fn fresh_record_is_fresh() {
    let mut built = Built::new();
    built.check("");
    assert!(!built.world.scope_asked, "no scope, no question to git");
}

#[test]
fn executable_missing() {
    let mut built = Built::new();
    std::fs::remove_file(built.path("target/debug/app")).expect("remove");
    built.check("executable missing [ROOT]/target/debug/app");
}

#[test]
fn executable_replaced() {
    let mut built = Built::new();
    std::fs::write(built.path("target/debug/app"), "\x7fELF another build").expect("write");
    built.check("executable replaced [ROOT]/target/debug/app");
}

#[test]
fn executable_only_touched_is_replaced_too() {
    // A binary is not hashed: a new mtime on the same bytes is another file as far as a stat
    // can tell, which errs towards stale.
    let mut built = Built::new();
    set_mtime(&built.path("target/debug/app"), 5);
    built.check("executable replaced [ROOT]/target/debug/app");
}

#[test]
fn commit_missing_and_the_scope_is_not_asked() {
    let mut built = Built::new();
    built.world.commits.clear();
    built.record.scope = vec!["app".to_owned()];
    built.world.scope_changes = BTreeSet::from(["app/data.txt".to_owned()]);
    built.check(&format!("commit missing {COMMIT}"));
    assert!(
        !built.world.scope_asked,
        "the scope is compared with the commit, which is gone"
    );
}

#[test]
fn other_workspace() {
    let mut built = Built::new();
    let other = tempfile::tempdir().expect("tempdir");
    built.world.root = other.path().to_owned();
    built.check("other workspace [ROOT]");
}

#[cfg(unix)]
#[test]
fn the_same_workspace_through_a_symlink_is_the_same() {
    let mut built = Built::new();
    let link = tempfile::tempdir().expect("tempdir");
    let link = link.path().join("ws");
    std::os::unix::fs::symlink(&built.world.root, &link).expect("symlink");
    built.world.root = link;
    built.check("");
}

#[test]
fn toolchain() {
    let mut built = Built::new();
    built.world.toolchain = TOOLCHAIN.replace("1.90.0", "1.91.0");
    built.check("toolchain");
}

#[test]
fn features_asked_for() {
    let mut built = Built::new();
    built.world.flags.features = vec!["extra,fast".to_owned()];
    built.check("features [] -> [extra fast]");

    let mut built = Built::new();
    built.world.flags.no_default_features = true;
    built.check("features [] -> [--no-default-features]");
}

#[test]
fn required_features_are_part_of_the_request() {
    let mut built = Built::new();
    built.record.required_features = vec!["cli".to_owned()];
    built.record.feature_request.features = BTreeSet::from(["app/cli".to_owned()]);
    built.check("");
    // `--all-features` covers them, and is another request.
    built.world.flags.all_features = true;
    built.check("features [app/cli] -> [--all-features]");
}

#[test]
fn environment_cargo_reads() {
    let mut built = Built::new();
    built.world.environment.clear();
    built.check(r#"environment RUSTFLAGS: "-Dwarnings" -> unset"#);

    let mut built = Built::new();
    built
        .world
        .environment
        .insert("CARGO_PROFILE_DEV_OPT_LEVEL".to_owned(), "3".to_owned());
    built.check(r#"environment CARGO_PROFILE_DEV_OPT_LEVEL: unset -> "3""#);
}

#[test]
fn environment_only_the_first_variable_cargo_reads_is_named() {
    // Two variables differ; the decision stops at the first (in name order), which is enough
    // to call the binary stale.
    let mut built = Built::new();
    built.world.environment = BTreeMap::from([
        ("CARGO_PROFILE_DEV_OPT_LEVEL".to_owned(), "3".to_owned()),
        ("RUSTFLAGS".to_owned(), "-Copt-level=1".to_owned()),
    ]);
    built.check(r#"environment RUSTFLAGS: "-Dwarnings" -> "-Copt-level=1""#);
}

#[test]
fn environment_the_build_read() {
    // `env_deps` are read from this process's environment, not from the facts: a variable
    // recorded as set that is unset here.
    let mut built = Built::new();
    built.record.env_deps = BTreeMap::from([(UNSET.to_owned(), Some("1".to_owned()))]);
    built.check(&format!(r#"environment {UNSET}: "1" -> unset"#));
}

#[test]
fn input_content_changed() {
    let mut built = Built::new();
    std::fs::write(built.path("src/main.rs"), "fn main() { println!() }\n").expect("write");
    built.check("input [ROOT]/src/main.rs: file f328e4d -> file f0cdb21");
}

#[test]
fn input_only_stat_changed_is_fresh() {
    let mut built = Built::new();
    set_mtime(&built.path("src/main.rs"), 5);
    built.check("");
    // The same bytes written again: a new stat, the same content.
    std::fs::write(built.path("src/main.rs"), "fn main() {}\n").expect("write");
    built.check("");
}

#[test]
fn input_removed_or_appeared() {
    let mut built = Built::new();
    std::fs::remove_file(built.path("src/main.rs")).expect("remove");
    std::fs::create_dir_all(built.path(".cargo")).expect("mkdir");
    std::fs::write(built.path(".cargo/config.toml"), "[build]\n").expect("write");
    built.check(
        "
input [ROOT]/.cargo/config.toml: absent -> file a7b19c9
input [ROOT]/src/main.rs: file f328e4d -> absent",
    );
}

#[test]
fn input_unsettled_at_the_build_is_never_fresh() {
    let mut built = Built::new();
    let main = built.path("src/main.rs");
    built.record.inputs.insert(main, Input::unsettled());
    built.check("input [ROOT]/src/main.rs: unsettled -> file f328e4d");
}

#[test]
fn input_unsettled_now_is_a_change() {
    let mut built = Built::new();
    let main = built.path("src/main.rs");
    built.world.contents.insert(main, Content::Unsettled);
    built.check("input [ROOT]/src/main.rs: file f328e4d -> unsettled");
}

#[test]
fn lock_file_changed_but_not_the_entries_is_fresh() {
    let mut built = Built::new();
    std::fs::write(built.path("Cargo.lock"), "version = 4\n# a comment\n").expect("write");
    built.check("");
}

#[test]
fn lock_entries() {
    let mut built = Built::new();
    std::fs::write(built.path("Cargo.lock"), "version = 4\n# itoa bumped\n").expect("write");
    let (_, mut entry) = itoa();
    entry.checksum = Some("0".repeat(64));
    let key = "itoa 1.0.16 registry+https://github.com/rust-lang/crates.io-index".to_owned();
    built.world.lock_entries = Some(BTreeMap::from([(key, entry)]));
    built.check("lock entries itoa");

    // An entry the binary no longer reaches counts too.
    let mut built = Built::new();
    std::fs::write(built.path("Cargo.lock"), "version = 4\n# itoa dropped\n").expect("write");
    built.world.lock_entries = Some(BTreeMap::new());
    built.check("lock entries itoa");
}

#[test]
fn lock_entries_are_compared_only_when_the_lock_file_changed() {
    let mut built = Built::new();
    built.world.lock_entries = Some(BTreeMap::new());
    built.check("");
}

#[test]
fn lock_file_changed_where_entries_cannot_be_compared() {
    let mut built = Built::new();
    std::fs::write(built.path("Cargo.lock"), "version = 4\n# edited\n").expect("write");
    built.world.lock_entries = None;
    built.check("lock file changed");
}

#[test]
fn package_files_of_a_scope() {
    let mut built = Built::new();
    built.record.scope = vec!["app".to_owned()];
    built.check("");
    assert!(built.world.scope_asked);
    built.world.scope_changes = BTreeSet::from(["app/assets/logo.svg".to_owned()]);
    built.check("package files app/assets/logo.svg");
}

#[test]
fn every_reason_is_listed_in_order() {
    let mut built = Built::new();
    std::fs::remove_file(built.path("target/debug/app")).expect("remove");
    built.world.toolchain = "rustc 2.0.0".to_owned();
    built.world.flags.all_features = true;
    std::fs::write(built.path("src/main.rs"), "fn main() { println!() }\n").expect("write");
    std::fs::write(built.path("Cargo.lock"), "version = 4\n# edited\n").expect("write");
    built.world.lock_entries = None;
    built.record.scope = vec!["app".to_owned()];
    built.world.scope_changes = BTreeSet::from(["app/build.rs".to_owned()]);
    built.check(
        "
executable missing [ROOT]/target/debug/app
toolchain
features [] -> [--all-features]
input [ROOT]/src/main.rs: file f328e4d -> file f0cdb21
lock file changed
package files app/build.rs",
    );
}
