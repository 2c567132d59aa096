//! Fixture workspaces for rbee-graph's tests, and the helpers that turn them into git repositories.
//!
//! `graph` reads cargo metadata and changed paths and never touches git; `engine` and `cli` ask git
//! and cargo about real directories. The tests of those two crates need real repositories with a
//! known history, so this crate keeps small Cargo workspaces under `testdata/repos/` and copies one
//! into a fresh temporary directory per test, where it becomes a git repository with one commit.
//! Later commits are made by the test itself, in the spirit of cargo's `RepoBuilder`.
//!
//! ```no_run
//! use rbee_graph_testdata::Repo;
//!
//! let repo = Repo::from_fixture("rbee");
//! let base = repo.head();
//! repo.append("libs/narration-core/src/lib.rs", "\n// touched\n");
//! let head = repo.commit("touch narration-core");
//! assert_ne!(base, head);
//! ```
//!
//! # Fixtures
//!
//! - `rbee`: a miniature of the rbee workspace (`members = ["bin/*", "libs/*", "xtask"]`) whose
//!   daemons spawn each other: `rbee-keeper` -> `queen-rbee` -> `rbee-hive` -> `llm-worker-rbee`,
//!   declared in `[workspace.metadata.rbee-graph]`. Dependencies (normal unless marked):
//!
//!   | package           | targets                                              | depends on |
//!   |-------------------|------------------------------------------------------|------------|
//!   | `narration-core`  | lib (`src/lib.rs`, `src/fmt.rs`), test, example, bench | `itoa` |
//!   | `daemon-lifecycle`| lib                                                  | `narration-core` |
//!   | `job-server`      | lib                                                  | `narration-core`; dev: `test-harness`, `fastrand` |
//!   | `hive-lifecycle`  | lib                                                  | `daemon-lifecycle` |
//!   | `build-info`      | lib                                                  | (none) |
//!   | `test-harness`    | lib                                                  | (none) |
//!   | `rbee-keeper`     | bin `rbee-keeper` (`src/main.rs`, no lib)            | `daemon-lifecycle`, `narration-core` |
//!   | `queen-rbee`      | lib, bin `queen-rbee` (`src/main.rs`)                | `job-server`, `hive-lifecycle`, `narration-core` |
//!   | `rbee-hive`       | lib, bins `rbee-hive` (`src/main.rs`), `hive-check` (`src/bin/hive-check.rs`), `hive-probe` (`src/bin/hive-probe/`) | `daemon-lifecycle`, `narration-core` |
//!   | `llm-worker-rbee` | lib, bin `llm-worker-rbee` (`src/worker.rs`), `build.rs` | `narration-core`, `cfg-if`; build: `build-info` |
//!   | `xtask`           | bin `xtask` (no lib)                                 | dev: `test-harness` |
//!
//!   Outside every package: `README.md`, `LICENSE`, `docs/guide.md`, `.github/workflows/ci.yml`
//!   (all ignored by default) and `shared/prompts.txt` (unowned). `Cargo.lock` is a real lock file
//!   with three crates.io entries: `itoa`, `cfg-if` and `fastrand`.
//! - `dep-kinds`: one edge of each kind and of several at once, in three directories.
//!   `apps/kinds-app` (bin `kinds-app`, `build.rs`) depends on `libs/kinds-core` as a normal
//!   *and* a dev-dependency, on `libs/kinds-testkit` as a dev-dependency and on
//!   `tools/kinds-gen` as a build-dependency; `kinds-core` depends on `libs/kinds-macros` and
//!   on `kinds-gen` as a build *and* a dev-dependency; `kinds-testkit` (a lib no binary needs)
//!   depends on `kinds-core`; `kinds-gen` is a lib and bin `kinds-gen`. `scripts/release.sh`
//!   lies outside every package (unowned).
//! - `root-package`: the workspace root is the package `root-app` (bin only), depending on the
//!   member `crates/inner` (lib + bin). `fuzz/` holds a separate, excluded crate with its own
//!   `[workspace]`, as `cargo fuzz init` lays it out. Also `README.md`, `LICENSE`, `docs/guide.md`
//!   and `assets/banner.txt` at the root.
//! - `same-names`: `api` and `admin` each have a bin named `server` and both depend on `common`;
//!   `tool` has a bin with `required-features = ["cli"]`.
//! - `worker-variants`: the real rbee worker's variants. `llm-worker-rbee` has bins
//!   `llm-worker-rbee-cpu`, `-cuda` and `-metal`, each behind the feature of its name, which
//!   turns on the same feature of `worker-core`; each prints what `worker-core` was compiled
//!   with (`backends=cpu narration=on`). Its build script fails for `cuda` without `CUDA_PATH`
//!   and for `metal` off macOS, as the real toolkits would. `rbee-hive` depends on `worker-core`
//!   with feature `narration`, so `narration` is on where cargo unifies features across the
//!   (virtual) workspace, as for `cargo build --bin queen-rbee`, and off with `-p queen-rbee`.
//!   `queen-rbee` spawns all three variants.
//! - `nu-layout`: laid out like nushell. The root package `nu` (lib and bin) is the workspace
//!   root, with a root-level bench (`benches/benchmarks.rs`, `harness = false`); members are
//!   listed, one through a glob (`crates/nu_plugin_*`), and depend on each other through
//!   `[workspace.dependencies]` paths. `nu-cmd-extra` is optional (feature `extra`),
//!   `nu-test-support` a dev-dependency, `nu-protocol` has a build script with a
//!   build-dependency on `itoa`; `nu_plugin_inc` is a bin only, `nu_plugin_query` lib and bin.
//! - `rg-layout`: laid out like ripgrep. The root package `rgl` has its bin in
//!   `crates/core/main.rs` (a directory that is no package), a root `build.rs`, and
//!   `autotests = false` with one `[[test]]` (`tests/tests.rs`, helper `tests/util.rs`). The
//!   libraries are listed members under `crates/`, with a renamed dependency (`rgcli` for
//!   `grep-cli`), an optional one (`grep-pcre2`), `cfg(windows)` ones, a bin directory
//!   (`ignore`'s `src/bin/walk/`), a second bin (`grep-cli`) and a bench; `fuzz/` is a separate
//!   crate, and `README.md` lies at the root.
//! - `tk-layout`: laid out like tokio, bevy or gitoxide. A virtual workspace with a `crates/*`
//!   glob, members nested in other members (`crates/core/macros`, `crates/cli/completions`),
//!   `tools/xtask`, `default-members = ["crates/cli"]`, excluded `crates/legacy-shim` (a path
//!   dependency of `tk-server` that is no member, itself depending on `vendor/shim-sys`) and
//!   `fuzz`, and inherited package fields. `tk-cli` has `autobins = false` (so
//!   `src/bin/stray.rs` is no target), bins `tk` and `tk-admin` (`required-features =
//!   ["admin"]`, in `src/admin/`), a `cfg(windows)` dependency and a build-dependency on
//!   `tk-sys`, whose build script is `build/main.rs`; `tk-server` has bins in `src/bin/` (one a
//!   directory) and a renamed dependency on `tk-core`; `tk-ffi` is a `cdylib` and `rlib`,
//!   `tk-macros` a proc-macro.
//!
//! Every fixture compiles with `cargo build --offline` and has a `Cargo.lock` generated by cargo.
//!
//! `testdata/metadata/<fixture>.json` is `cargo metadata --format-version 1 --no-deps` of a
//! fixture (`rbee`, `root-package`, `same-names`, `rg-layout`, `tk-layout`, `nu-layout`), with
//! the fixture's directory rewritten to `/repo` so that it is the same on every machine, for the
//! graph crate's fast rule tests (`graph/tests/rules/`) and doc example. `tests/metadata.rs`
//! checks that each still matches its fixture;
//! `RBEE_GRAPH_BLESS=1 cargo test -p rbee-graph-testdata --test metadata` regenerates them.
//!
//! # Determinism
//!
//! Git runs with a pinned environment, as gitoxide's fixture scripts do: fixed author, committer
//! and dates, no system or global configuration, no inherited `GIT_DIR` or `GIT_WORK_TREE`, branch
//! `main` and no signing. Commit ids therefore depend only on the fixture and the test's steps.

#![warn(missing_docs)]

mod random;

pub use random::Rng;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use tempfile;

/// The directory of the fixture `name` inside this crate, such as `testdata/repos/rbee`.
///
/// Tests must not modify it; use [`Repo::from_fixture`] for a private copy.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/repos/")).join(name)
}

/// Environment variables set on every git invocation (see the crate docs, "Determinism").
const GIT_ENV: &[(&str, &str)] = &[
    ("GIT_AUTHOR_NAME", "author"),
    ("GIT_AUTHOR_EMAIL", "author@example.com"),
    ("GIT_AUTHOR_DATE", "2000-01-01 00:00:00 +0000"),
    ("GIT_COMMITTER_NAME", "committer"),
    ("GIT_COMMITTER_EMAIL", "committer@example.com"),
    ("GIT_COMMITTER_DATE", "2000-01-02 00:00:00 +0000"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_TERMINAL_PROMPT", "0"),
];

/// Environment variables removed from every git invocation, so that an outer repository (or a
/// test running inside a git hook) cannot redirect git.
const GIT_ENV_REMOVED: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CEILING_DIRECTORIES",
    "GIT_NAMESPACE",
];

/// Applies the pinned git environment (see the crate docs) to `cmd`.
///
/// Use it for any other process that reads the test repository through git, such as the
/// `rbee-graph` binary under test, so that the user's configuration cannot change the outcome.
pub fn configure_git_env(cmd: &mut Command) -> &mut Command {
    for var in GIT_ENV_REMOVED {
        cmd.env_remove(var);
    }
    cmd.envs(GIT_ENV.iter().copied())
}

/// A temporary copy of a fixture, usually a git repository; deleted when dropped.
///
/// All relative paths given to its methods are relative to the repository root, with `/` as the
/// separator, which is also how rbee-graph reports changed paths.
#[derive(Debug)]
pub struct Repo {
    /// Keeps the directory alive; `root` lies inside it.
    _dir: tempfile::TempDir,
    root: PathBuf,
    workspace: PathBuf,
}

impl Repo {
    /// Copies the fixture `name` into a fresh temporary directory, runs `git init` (branch `main`)
    /// and commits everything as "initial". The workspace is the repository root.
    pub fn from_fixture(name: &str) -> Repo {
        let repo = Repo::copy(name, None);
        repo.init();
        repo
    }

    /// Like [`Repo::from_fixture`], but the workspace lives in `<root>/<subdir>/`, and the
    /// repository root gets its own `README.md` (outside the workspace).
    pub fn from_fixture_in(name: &str, subdir: &str) -> Repo {
        let repo = Repo::copy(name, Some(subdir));
        repo.write(
            "README.md",
            "# A repository that holds a workspace in a subdirectory\n",
        );
        repo.init();
        repo
    }

    /// Copies the fixture `name` into a fresh temporary directory without making it a git
    /// repository, for tests of what happens outside git.
    pub fn without_git(name: &str) -> Repo {
        Repo::copy(name, None)
    }

    /// The repository root, canonicalized (so it compares equal to paths tools report).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The workspace root: [`Repo::root`], or `<root>/<subdir>` for [`Repo::from_fixture_in`].
    pub fn workspace(&self) -> PathBuf {
        self.workspace.clone()
    }

    /// The absolute path of `rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Reads the file `rel`, panicking if it cannot.
    pub fn read(&self, rel: &str) -> String {
        let path = self.path(rel);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// Writes `contents` to `rel`, creating parent directories and replacing any old content.
    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Appends `contents` to the file `rel`, creating it (and its directories) if it is missing.
    pub fn append(&self, rel: &str, contents: &str) {
        let old = match fs::read_to_string(self.path(rel)) {
            Ok(old) => old,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => panic!("read {rel}: {e}"),
        };
        self.write(rel, &(old + contents));
    }

    /// Replaces the only occurrence of `from` in the file `rel` with `to`.
    ///
    /// Panics unless `from` occurs exactly once, so a fixture edit cannot silently miss.
    pub fn replace(&self, rel: &str, from: &str, to: &str) {
        let old = self.read(rel);
        let count = old.matches(from).count();
        assert_eq!(
            count, 1,
            "{from:?} occurs {count} times in {rel}, expected once"
        );
        self.write(rel, &old.replacen(from, to, 1));
    }

    /// Removes the file or directory `rel` (recursively). Panics if it does not exist.
    pub fn remove(&self, rel: &str) {
        let path = self.path(rel);
        let result = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        result.unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
    }

    /// Runs git with `args` in the repository root and the pinned environment.
    ///
    /// Returns the trimmed standard output; panics with git's standard error if git fails.
    pub fn git(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        configure_git_env(&mut cmd)
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(["-c", "core.autocrlf=false"])
            .args(args)
            .current_dir(&self.root);
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run git {args:?}: {e}"));
        assert!(
            out.status.success(),
            "git {args:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("git prints UTF-8 here")
            .trim()
            .to_owned()
    }

    /// Stages everything (`git add -A`) and commits it with message `msg`; returns the new
    /// commit's full id. The commit may be empty.
    pub fn commit(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    /// The full id of the commit `HEAD` points at.
    pub fn head(&self) -> String {
        self.rev_parse("HEAD")
    }

    /// The full id of the commit `rev` names.
    pub fn rev_parse(&self, rev: &str) -> String {
        self.git(&["rev-parse", "--verify", &format!("{rev}^{{commit}}")])
    }

    fn copy(name: &str, subdir: Option<&str>) -> Repo {
        let source = fixture_dir(name);
        assert!(source.is_dir(), "no fixture {}", source.display());
        let dir = tempfile::Builder::new()
            .prefix("rbee-graph-")
            .tempdir()
            .expect("create a temporary directory");
        let root = dir
            .path()
            .canonicalize()
            .expect("canonicalize the temporary directory");
        let workspace = match subdir {
            Some(subdir) => root.join(subdir),
            None => root.clone(),
        };
        copy_tree(&source, &workspace);
        Repo {
            _dir: dir,
            root,
            workspace,
        }
    }

    fn init(&self) {
        self.git(&["init", "-q", "-b", "main"]);
        self.commit("initial");
    }
}

/// Copies the directory `from` to `to` recursively, skipping `target/` directories.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    let entries = fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
        let kind = entry.file_type().expect("file type of a fixture entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if kind.is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&src, &dst);
            }
        } else if kind.is_file() {
            fs::copy(&src, &dst)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", src.display(), dst.display()));
        } else {
            panic!(
                "fixtures hold only files and directories: {}",
                src.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_becomes_a_repository_with_one_commit() {
        let repo = Repo::from_fixture("rbee");
        assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1");
        assert_eq!(repo.git(&["status", "--porcelain"]), "");
        assert_eq!(repo.git(&["branch", "--show-current"]), "main");
        assert!(repo.path("Cargo.lock").is_file());
        assert!(
            repo.path("bin/rbee-hive/src/bin/hive-probe/util.rs")
                .is_file()
        );
        assert!(!repo.path("target").exists());
    }

    #[test]
    fn commits_are_deterministic() {
        let (a, b) = (
            Repo::from_fixture("same-names"),
            Repo::from_fixture("same-names"),
        );
        assert_eq!(a.head(), b.head());
        a.append("common/src/lib.rs", "// more\n");
        b.append("common/src/lib.rs", "// more\n");
        assert_eq!(a.commit("more"), b.commit("more"));
    }

    #[test]
    fn workspace_in_a_subdirectory() {
        let repo = Repo::from_fixture_in("rbee", "rbee");
        assert_eq!(repo.workspace(), repo.root().join("rbee"));
        assert!(repo.path("README.md").is_file());
        assert!(repo.path("rbee/Cargo.toml").is_file());
        assert_eq!(repo.git(&["status", "--porcelain"]), "");
    }

    #[test]
    fn edits() {
        let repo = Repo::from_fixture("root-package");
        repo.write("new/dir/file.txt", "a");
        repo.append("new/dir/file.txt", "b");
        assert_eq!(repo.read("new/dir/file.txt"), "ab");
        repo.replace("new/dir/file.txt", "ab", "c");
        assert_eq!(repo.read("new/dir/file.txt"), "c");
        repo.remove("new");
        assert!(!repo.path("new").exists());
        assert_eq!(repo.git(&["status", "--porcelain"]), "");
    }

    #[test]
    fn without_git_is_not_a_repository() {
        let repo = Repo::without_git("rbee");
        assert!(!repo.path(".git").exists());
        assert!(repo.path("Cargo.lock").is_file());
    }
}
