//! Running the binary, reading its JSON, and editing fixtures.
//!
//! Assertions compare sets of `(bin, package)` pairs, because a binary name is not unique across
//! packages, and exact lists of changed paths. Reasons are checked by kind, package and path only:
//! the engine may merge reasons, so their number is not part of the contract.

#![allow(dead_code)] // Not every test module uses every helper.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use rbee_graph_testdata::{Repo, configure_git_env, tempfile};
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_rbee-graph");

/// A `(bin, package)` pair, as in `affected_binaries` and the github matrix.
pub type BinPair = (String, String);

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` if a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What a finished process did. Panics unless it printed UTF-8.
    pub fn from_output(out: std::process::Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Asserts the run succeeded without panicking, and returns its standard output.
    pub fn success(&self) -> &str {
        assert_eq!(self.code, Some(0), "rbee-graph failed: {self:#?}");
        assert_no_panic(&self.stderr);
        &self.stdout
    }

    /// Asserts the run succeeded, and parses its standard output as JSON.
    pub fn json(&self) -> Value {
        let out = self.success();
        serde_json::from_str(out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}"))
    }
}

/// Asserts the run was rejected as bad input: exit status 2 and exactly one line on standard
/// error, starting with `error: `, without a panic or a backtrace.
pub fn assert_bad_input(run: &Run) {
    assert_eq!(run.code, Some(2), "expected exit status 2: {run:#?}");
    assert_no_panic(&run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected exactly one line on stderr: {run:#?}"
    );
    assert!(
        lines[0].starts_with("error: "),
        "stderr must start with `error: `: {run:#?}"
    );
    assert!(
        lines[0].len() > "error: ".len(),
        "the error line says nothing: {run:#?}"
    );
}

fn assert_no_panic(stderr: &str) {
    for word in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(
            !stderr.contains(word),
            "stderr mentions {word:?}:\n{stderr}"
        );
    }
}

/// Runs `rbee-graph ARGS` in the workspace root of `repo` (no `--manifest-path`: the binary
/// must find the workspace from its current directory, as cargo does).
pub fn run(repo: &Repo, args: &[&str]) -> Run {
    run_in(repo, &repo.workspace(), args, &[])
}

/// Runs `rbee-graph ARGS` in `dir` with extra environment variables `env`, for a test about
/// `repo`: git discovery stops at the directory holding the repository's root.
pub fn run_in(repo: &Repo, dir: &Path, args: &[&str], env: &[(&str, OsString)]) -> Run {
    let mut cmd = command(BIN, repo);
    cmd.args(args).current_dir(dir);
    for (key, value) in env {
        cmd.env(key, value);
    }
    output(&mut cmd)
}

/// Runs `cmd` to completion and returns what it did. Panics if it cannot be started or prints
/// anything but UTF-8.
pub fn output(cmd: &mut Command) -> Run {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()));
    Run::from_output(out)
}

// ---------------------------------------------------------------------------------------------
// The environment of every process a test starts.

/// Variables removed from every process a test starts, because the binary, cargo or a
/// fixture's daemons read them and the developer's shell (or CI) may set them:
///
/// - `RBEE_GRAPH_LOG` and `RBEE_GRAPH_PROFILE` (cli and engine), `RBEE_GRAPH_AUTO_BUILD` (the
///   pre-spawn API), `RBEE_GRAPH_SUPERVISED` (set by `watch` for its daemons);
/// - `RBEE_GRAPH` and `RBEE_GREETING` (the `rbee` fixture's daemons), `CUDA_PATH` (the
///   `worker-variants` fixture's build script and `[...requires]`);
/// - `CLICOLOR_FORCE` (colours; `NO_COLOR` is set instead);
/// - where cargo builds and for what: `CARGO_TARGET_DIR`, `CARGO_BUILD_TARGET_DIR`,
///   `CARGO_BUILD_TARGET`, `RUSTFLAGS`, `CARGO_ENCODED_RUSTFLAGS`, `CARGO_BUILD_RUSTFLAGS`
///   (so a fixture builds into its own `target/`, and records hold no outside flags).
///
/// A test that needs one of them sets it after [`apply_env_policy`].
pub const REMOVED_ENV: &[&str] = &[
    "RBEE_GRAPH_LOG",
    "RBEE_GRAPH_PROFILE",
    "RBEE_GRAPH_AUTO_BUILD",
    "RBEE_GRAPH_SUPERVISED",
    "RBEE_GRAPH",
    "RBEE_GREETING",
    "CUDA_PATH",
    "CLICOLOR_FORCE",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
];

/// Applies the tests' environment policy to `cmd`, which runs the binary under test, cargo, or a
/// program built from a fixture:
///
/// - git's pinned environment ([`configure_git_env`]), and `GIT_CEILING_DIRECTORIES` set to
///   `ceiling` (the directory holding the test's repository) so that git discovery never leaves
///   the temporary directory;
/// - `NO_COLOR=1`: logging or colours would add to the one line of stderr errors are allowed;
/// - every variable of [`REMOVED_ENV`] removed.
///
/// `CARGO`, `CARGO_HOME`, `RUSTUP_TOOLCHAIN`, `HOME` and `PATH` are inherited: they say which
/// toolchain and registry to use, not what the answer is. Tests add their own variables after
/// this call.
pub fn apply_env_policy<'c>(cmd: &'c mut Command, ceiling: Option<&Path>) -> &'c mut Command {
    configure_git_env(cmd);
    if let Some(ceiling) = ceiling {
        cmd.env("GIT_CEILING_DIRECTORIES", ceiling);
    }
    for var in REMOVED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1")
}

/// A command for `program` with the environment policy ([`apply_env_policy`]) for a test about
/// `repo`: git discovery stops at the directory holding the repository's root.
pub fn command(program: impl AsRef<OsStr>, repo: &Repo) -> Command {
    let mut cmd = Command::new(program);
    apply_env_policy(&mut cmd, repo.root().parent());
    cmd
}

/// The real cargo: `CARGO` (which cargo sets for the tests), or `cargo` on `PATH`.
pub fn real_cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

// ---------------------------------------------------------------------------------------------
// Skipping a test.

/// Whether the tests run on CI (`CI` set and not empty), where `.ci/run` installs every tool
/// the tests need.
pub fn on_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Says on stderr that the calling test is skipped and why (`SKIPPED: TEST: WHY`, shown even
/// though the harness captures a passing test's output); the caller returns next. For a tool CI cannot have (see [`skip_unless_ci`] for one it must have).
pub fn skip(why: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    // Straight to the process's stderr: the test harness captures `eprintln!` of a passing
    // test, and a skip must be seen.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
}

/// Like [`skip`], for a missing tool that CI installs: on CI ([`on_ci`]) the test fails instead,
/// so a broken CI machine cannot pass by skipping.
pub fn skip_unless_ci(why: &str) {
    assert!(
        !on_ci(),
        "{why}; CI is set, and on CI a missing tool fails the test instead of skipping it"
    );
    skip(why);
}

// ---------------------------------------------------------------------------------------------
// A logging cargo shim.

/// A cargo shim: a `#!/bin/sh` script named `cargo`, in its own temporary directory, that
/// appends each invocation's arguments (`$*`, one line) to a log and then runs the real cargo.
/// A test points the binary at it with `CARGO` and counts cargo runs in [`CargoShim::calls`].
#[derive(Debug)]
pub struct CargoShim {
    dir: tempfile::TempDir,
    path: PathBuf,
    log: PathBuf,
}

impl CargoShim {
    /// A shim running [`real_cargo`].
    pub fn new() -> CargoShim {
        CargoShim::running(&real_cargo())
    }

    /// A shim running `real` (a path, or a name on `PATH`).
    pub fn running(real: &OsStr) -> CargoShim {
        CargoShim::with_build_step(real, None)
    }

    /// A shim running `real` that, for `cargo build` only, runs the shell text `build` after
    /// logging the arguments, in place of the real cargo. The text sees `$REAL` (the real
    /// cargo), `$LOG` (the log) and `$SHIM_DIR` (the shim's directory); unless it exits, the
    /// real cargo runs after it.
    pub fn with_build_step(real: &OsStr, build: Option<&str>) -> CargoShim {
        let dir = tempfile::Builder::new()
            .prefix("rbee-graph-shim-")
            .tempdir()
            .expect("create the shim directory");
        let path = dir.path().join("cargo");
        let log = dir.path().join("cargo.log");
        let quote = |p: &Path| {
            let s = p.to_str().expect("a UTF-8 path");
            assert!(!s.contains('\''), "a path without quotes: {s}");
            format!("'{s}'")
        };
        let mut script = format!(
            "#!/bin/sh\nREAL={}\nLOG={}\nSHIM_DIR={}\nprintf '%s\\n' \"$*\" >> \"$LOG\"\n",
            quote(Path::new(real)),
            quote(&log),
            quote(dir.path()),
        );
        if let Some(build) = build {
            script.push_str(&format!("if [ \"$1\" = build ]; then\n{build}\nfi\n"));
        }
        script.push_str("exec \"$REAL\" \"$@\"\n");
        fs::write(&path, script).expect("write the cargo shim");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod the shim");
        fs::write(&log, "").expect("create the cargo log");
        CargoShim { dir, path, log }
    }

    /// The shim itself, for `CARGO`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The shim's directory, which also holds the log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every line logged since the last [`CargoShim::clear`]: one per cargo invocation (its
    /// arguments), and whatever a build step logged.
    pub fn calls(&self) -> Vec<String> {
        fs::read_to_string(&self.log)
            .expect("read the cargo log")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The logged `cargo build` invocations.
    pub fn builds(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|l| l == "build" || l.starts_with("build "))
            .collect()
    }

    /// Empties the log.
    pub fn clear(&self) {
        fs::write(&self.log, "").expect("clear the cargo log");
    }
}

impl Default for CargoShim {
    fn default() -> CargoShim {
        CargoShim::new()
    }
}

/// Runs `rbee-graph affected ARGS --format json` in the workspace of `repo` and checks the
/// parts of schema 1 that hold for every answer (see [`check_schema`]).
pub fn affected_json(repo: &Repo, args: &[&str]) -> Value {
    let mut all = vec!["affected"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let v = run(repo, &all).json();
    check_schema(&v);
    v
}

/// Applies `edit` to `repo`, then asks `affected --base HEAD EXTRA` about the working tree;
/// commits and asks `affected --base HEAD~1 --head HEAD EXTRA` about the commit. Both answers
/// must agree (apart from `head`); the committed one is returned.
///
/// So each rule is checked twice: with untracked and unstaged changes, and between commits.
pub fn affected_after(repo: &Repo, extra: &[&str], edit: impl FnOnce(&Repo)) -> Value {
    let base = repo.head();
    edit(repo);
    let mut args = vec!["--base", "HEAD"];
    args.extend_from_slice(extra);
    let worktree = affected_json(repo, &args);
    assert_eq!(worktree["head"], "worktree", "{worktree:#}");
    assert_eq!(worktree["base"], base.as_str(), "{worktree:#}");

    let head = repo.commit("edit");
    let mut args = vec!["--base", "HEAD~1", "--head", "HEAD"];
    args.extend_from_slice(extra);
    let committed = affected_json(repo, &args);
    assert_eq!(committed["head"], head.as_str(), "{committed:#}");
    assert_eq!(committed["base"], base.as_str(), "{committed:#}");

    for field in ["changed_paths", "affected_packages", "affected_binaries"] {
        assert_eq!(
            worktree[field], committed[field],
            "`{field}` differs between the working tree and the same change committed"
        );
    }
    committed
}

/// Appends a line to `rel` (creating it), written as a comment where the extension has one, so
/// sources and manifests stay valid.
pub fn touch(repo: &Repo, rel: &str) {
    let line = match Path::new(rel).extension().and_then(|e| e.to_str()) {
        Some("rs") => "// touched\n",
        Some("toml" | "lock" | "yml" | "yaml" | "sh") => "# touched\n",
        _ => "touched\n",
    };
    repo.append(rel, line);
}

/// Checks what every `affected --format json` answer must satisfy: schema 1, a full commit id as
/// base, a full commit id or `worktree` as head, sorted unique changed paths, unique packages,
/// unique `(bin, package)` pairs, and well-formed reasons (see [`check_reason`]).
pub fn check_schema(v: &Value) {
    assert_eq!(v["schema"], 1, "{v:#}");
    let base = v["base"]
        .as_str()
        .unwrap_or_else(|| panic!("base is not a string: {v:#}"));
    assert!(is_full_sha(base), "base is not a full commit id: {v:#}");
    let head = v["head"]
        .as_str()
        .unwrap_or_else(|| panic!("head is not a string: {v:#}"));
    assert!(head == "worktree" || is_full_sha(head), "bad head: {v:#}");

    let changed = changed(v);
    let mut sorted = changed.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        changed, sorted,
        "changed_paths must be sorted and unique: {v:#}"
    );

    let packages = packages(v);
    let unique: BTreeSet<_> = packages.iter().collect();
    assert_eq!(
        unique.len(),
        packages.len(),
        "affected_packages repeats a package: {v:#}"
    );

    bins(v); // Checks uniqueness.
    for bin in array(v, "affected_binaries") {
        let name = bin["name"].as_str().expect("bin name");
        let package = bin["package"].as_str().expect("bin package");
        let reasons = bin["reasons"]
            .as_array()
            .unwrap_or_else(|| panic!("no reasons: {bin:#}"));
        assert!(
            !reasons.is_empty(),
            "{name} ({package}) is affected without a reason: {v:#}"
        );
        for reason in reasons {
            check_reason(reason, package, &changed);
        }
    }
}

/// Checks one reason of a binary of `bin_package`: a known kind; a path among the changed paths;
/// for `path` the chain `[bin_package]`; for `dependency` and `lockfile` a chain from the reason's
/// package to `bin_package`; for `global` and `unowned` no package.
fn check_reason(reason: &Value, bin_package: &str, changed: &[String]) {
    let r = Reason::from_json(reason);
    assert!(
        changed.contains(&r.path),
        "reason path {:?} is not a changed path {changed:?}: {reason:#}",
        r.path
    );
    match r.kind.as_str() {
        "path" => {
            assert_eq!(r.package.as_deref(), Some(bin_package), "{reason:#}");
            assert_eq!(r.chain, [bin_package], "{reason:#}");
        }
        "dependency" | "lockfile" => {
            let package = r
                .package
                .as_deref()
                .unwrap_or_else(|| panic!("no package: {reason:#}"));
            assert!(r.chain.len() >= 2, "a chain needs both ends: {reason:#}");
            assert_eq!(
                r.chain.first().map(String::as_str),
                Some(package),
                "{reason:#}"
            );
            assert_eq!(
                r.chain.last().map(String::as_str),
                Some(bin_package),
                "{reason:#}"
            );
        }
        "global" | "unowned" | "read" => {
            assert_eq!(r.package, None, "{reason:#}");
        }
        other => panic!("unknown reason kind {other:?}: {reason:#}"),
    }
}

fn is_full_sha(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn array<'v>(v: &'v Value, field: &str) -> &'v Vec<Value> {
    v[field]
        .as_array()
        .unwrap_or_else(|| panic!("`{field}` is not an array: {v:#}"))
}

fn strings(v: &Value, field: &str) -> Vec<String> {
    array(v, field)
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("`{field}` holds a non-string: {v:#}"))
        })
        .map(str::to_owned)
        .collect()
}

/// `changed_paths`, in the order printed.
pub fn changed(v: &Value) -> Vec<String> {
    strings(v, "changed_paths")
}

/// `affected_packages`, in the order printed.
pub fn packages(v: &Value) -> Vec<String> {
    strings(v, "affected_packages")
}

/// `affected_packages` as a set.
pub fn package_set(v: &Value) -> BTreeSet<String> {
    packages(v).into_iter().collect()
}

/// `affected_packages` without external crates, as a set: what a lock-file change does to the
/// workspace, whether or not the engine also lists the external crate itself.
pub fn member_set(v: &Value, members: &[&str]) -> BTreeSet<String> {
    package_set(v)
        .into_iter()
        .filter(|p| members.contains(&p.as_str()))
        .collect()
}

/// The `(bin, package)` pairs of `affected_binaries`, in the order printed.
pub fn bin_list(v: &Value) -> Vec<BinPair> {
    array(v, "affected_binaries")
        .iter()
        .map(|b| {
            let name = b["name"]
                .as_str()
                .unwrap_or_else(|| panic!("bin without name: {b:#}"));
            let package = b["package"]
                .as_str()
                .unwrap_or_else(|| panic!("bin without package: {b:#}"));
            (name.to_owned(), package.to_owned())
        })
        .collect()
}

/// The `(bin, package)` pairs of `affected_binaries` as a set; panics on a repeated pair.
pub fn bins(v: &Value) -> BTreeSet<BinPair> {
    let list = bin_list(v);
    let set: BTreeSet<BinPair> = list.iter().cloned().collect();
    assert_eq!(set.len(), list.len(), "a binary is listed twice: {v:#}");
    set
}

/// A set of `(bin, package)` pairs.
pub fn pairs(items: &[(&str, &str)]) -> BTreeSet<BinPair> {
    items
        .iter()
        .map(|(b, p)| ((*b).to_owned(), (*p).to_owned()))
        .collect()
}

/// A set of package names.
pub fn names(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Paths, sorted as `changed_paths` must be (byte order).
pub fn sorted(paths: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = paths.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// One reason, read from JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub kind: String,
    pub path: String,
    /// `None` when absent or `null`.
    pub package: Option<String>,
    pub chain: Vec<String>,
}

impl Reason {
    fn from_json(r: &Value) -> Reason {
        let kind = r["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("reason without kind: {r:#}"));
        let path = r["path"]
            .as_str()
            .unwrap_or_else(|| panic!("reason without path: {r:#}"));
        let package = match r.get("package") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => Some(p.clone()),
            Some(other) => panic!("reason package is not a string: {other:#}"),
        };
        let chain = match r.get("chain") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|s| s.as_str().expect("chain holds package names").to_owned())
                .collect(),
            Some(other) => panic!("reason chain is not an array: {other:#}"),
        };
        Reason {
            kind: kind.to_owned(),
            path: path.to_owned(),
            package,
            chain,
        }
    }
}

/// The reasons given for the binary `bin` of `package`; panics if it is not affected.
pub fn reasons(v: &Value, bin: &str, package: &str) -> Vec<Reason> {
    let entry = array(v, "affected_binaries")
        .iter()
        .find(|b| b["name"] == bin && b["package"] == package)
        .unwrap_or_else(|| panic!("{bin} ({package}) is not affected: {v:#}"));
    entry["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(Reason::from_json)
        .collect()
}

/// Asserts the binary `bin` of `bin_package` has a reason of `kind` naming `package` (`None`
/// for global and unowned reasons) and the changed path `path`; returns that reason.
pub fn assert_reason(
    v: &Value,
    bin: (&str, &str),
    kind: &str,
    package: Option<&str>,
    path: &str,
) -> Reason {
    assert_reason_in(v, bin, kind, package, &[path])
}

/// Like [`assert_reason`], for a package with several changed paths: reasons are deduplicated
/// per kind and package, so the reason may name any one of `paths`.
pub fn assert_reason_in(
    v: &Value,
    (bin, bin_package): (&str, &str),
    kind: &str,
    package: Option<&str>,
    paths: &[&str],
) -> Reason {
    let all = reasons(v, bin, bin_package);
    all.iter()
        .find(|r| {
            r.kind == kind && r.package.as_deref() == package && paths.contains(&r.path.as_str())
        })
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{bin} ({bin_package}) has no reason {{kind: {kind}, package: {package:?}, \
                 path: one of {paths:?}}}; it has {all:#?}"
            )
        })
}

/// Asserts every binary in `v` has a reason of `kind` with `path` and `package`.
pub fn assert_every_reason(v: &Value, kind: &str, package: Option<&str>, path: &str) {
    for (bin, bin_package) in bins(v) {
        assert_reason(v, (&bin, &bin_package), kind, package, path);
    }
}

/// Asserts no binary in `v` is affected for a reason of `kind`.
pub fn assert_no_reason_of_kind(v: &Value, kind: &str) {
    for (bin, package) in bins(v) {
        let all = reasons(v, &bin, &package);
        assert!(
            all.iter().all(|r| r.kind != kind),
            "{bin} ({package}) has a {kind} reason: {all:#?}"
        );
    }
}

/// Asserts that for every edge `(dependency, dependent)` with both ends in `order`, the
/// dependency comes first.
pub fn assert_dependencies_first(order: &[String], edges: &[(&str, &str)]) {
    let index = |name: &str| order.iter().position(|p| p == name);
    for (dependency, dependent) in edges {
        if let (Some(a), Some(b)) = (index(dependency), index(dependent)) {
            assert!(
                a < b,
                "{dependency} must come before {dependent}: {order:?}"
            );
        }
    }
}

/// Asserts that every step of every dependency or lockfile chain in `v` is an edge in `edges`
/// (`(dependency, dependent)`), so a chain is a real path through the graph.
pub fn assert_chains_follow(v: &Value, edges: &[(&str, &str)]) {
    for (bin, package) in bins(v) {
        for r in reasons(v, &bin, &package) {
            for step in r.chain.windows(2) {
                assert!(
                    edges.contains(&(step[0].as_str(), step[1].as_str())),
                    "{} -> {} in the chain of {bin} ({package}) is not a normal or build \
                     dependency: {r:#?}",
                    step[0],
                    step[1]
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The rbee fixture.

/// Every binary of the `rbee` fixture.
pub const RBEE_BINS: &[(&str, &str)] = &[
    ("rbee-keeper", "rbee-keeper"),
    ("queen-rbee", "queen-rbee"),
    ("rbee-hive", "rbee-hive"),
    ("hive-check", "rbee-hive"),
    ("hive-probe", "rbee-hive"),
    ("llm-worker-rbee", "llm-worker-rbee"),
    ("xtask", "xtask"),
];

/// Every member package of the `rbee` fixture.
pub const RBEE_MEMBERS: &[&str] = &[
    "narration-core",
    "daemon-lifecycle",
    "job-server",
    "hive-lifecycle",
    "build-info",
    "test-harness",
    "rbee-keeper",
    "queen-rbee",
    "rbee-hive",
    "llm-worker-rbee",
    "xtask",
];

/// The normal and build dependency edges of the `rbee` fixture, `(dependency, dependent)`,
/// including the external crates that members use. Dev dependencies are not here.
pub const RBEE_EDGES: &[(&str, &str)] = &[
    ("itoa", "narration-core"),
    ("cfg-if", "llm-worker-rbee"),
    ("narration-core", "daemon-lifecycle"),
    ("narration-core", "job-server"),
    ("daemon-lifecycle", "hive-lifecycle"),
    ("daemon-lifecycle", "rbee-keeper"),
    ("narration-core", "rbee-keeper"),
    ("job-server", "queen-rbee"),
    ("hive-lifecycle", "queen-rbee"),
    ("narration-core", "queen-rbee"),
    ("daemon-lifecycle", "rbee-hive"),
    ("narration-core", "rbee-hive"),
    ("narration-core", "llm-worker-rbee"),
    ("build-info", "llm-worker-rbee"),
];

/// Every binary of the `rbee` fixture.
pub fn all_rbee_bins() -> BTreeSet<BinPair> {
    pairs(RBEE_BINS)
}

/// Every binary of the `rbee` fixture except `xtask`, which depends on nothing: what a change to
/// `narration-core` (or `itoa`) affects.
pub fn all_but_xtask() -> BTreeSet<BinPair> {
    let mut set = all_rbee_bins();
    set.remove(&("xtask".to_owned(), "xtask".to_owned()));
    set
}

/// The three binaries of `rbee-hive`.
pub fn hive_bins() -> BTreeSet<BinPair> {
    pairs(&[
        ("rbee-hive", "rbee-hive"),
        ("hive-check", "rbee-hive"),
        ("hive-probe", "rbee-hive"),
    ])
}

// ---------------------------------------------------------------------------------------------
// Editing Cargo.lock by hand, as a dependency bump or a package removal would change it.

/// Edits the `[[package]]` entries of the lock file `lock` (relative to the repository root).
/// Each entry is the text after its `[[package]]` line, ending with a newline.
pub fn edit_lock(repo: &Repo, lock: &str, edit: impl FnOnce(&mut Vec<String>)) {
    const SEP: &str = "\n[[package]]\n";
    let text = repo.read(lock);
    let mut parts = text.split(SEP);
    let header = parts
        .next()
        .expect("split yields at least one part")
        .to_owned();
    let mut entries: Vec<String> = parts.map(str::to_owned).collect();
    assert!(!entries.is_empty(), "{lock} has no [[package]] entries");
    edit(&mut entries);
    let mut out = header;
    for entry in entries {
        out.push_str(SEP);
        out.push_str(&entry);
    }
    repo.write(lock, &out);
}

fn entry_is(entry: &str, name: &str) -> bool {
    entry.starts_with(&format!("name = \"{name}\"\n"))
}

/// Changes the version of the external crate `name` in `lock` to `version`, with a different
/// checksum, as `cargo update -p NAME --precise VERSION` would.
pub fn bump_lock_entry(repo: &Repo, lock: &str, name: &str, version: &str) {
    edit_lock(repo, lock, |entries| {
        let entry = entries
            .iter_mut()
            .find(|e| entry_is(e, name))
            .unwrap_or_else(|| panic!("{lock} has no entry {name}"));
        assert!(
            entry.contains("\nchecksum = "),
            "{name} is not a registry crate: {entry}"
        );
        let mut bumped = String::new();
        for line in entry.lines() {
            if line.starts_with("version = ") {
                assert_ne!(
                    line,
                    format!("version = \"{version}\""),
                    "{name} is already {version}"
                );
                bumped.push_str(&format!("version = \"{version}\"\n"));
            } else if line.starts_with("checksum = ") {
                bumped.push_str(&format!(
                    "checksum = \"{}\"\n",
                    "0123456789abcdef".repeat(4)
                ));
            } else {
                bumped.push_str(line);
                bumped.push('\n');
            }
        }
        *entry = bumped;
    });
}

/// Removes the entry `name` from `lock`, and `name` from every dependency list.
pub fn remove_lock_entry(repo: &Repo, lock: &str, name: &str) {
    edit_lock(repo, lock, |entries| {
        let before = entries.len();
        entries.retain(|e| !entry_is(e, name));
        assert_eq!(entries.len() + 1, before, "{lock} has no entry {name}");
        for entry in entries.iter_mut() {
            *entry = entry.replace(&format!(" \"{name}\",\n"), "");
        }
    });
}

/// Adds the entry `entry` (the text after `[[package]]`, starting with `name = "..."`) to
/// `lock`, in name order as cargo writes it.
pub fn add_lock_entry(repo: &Repo, lock: &str, entry: &str) {
    let name = |e: &str| {
        e.lines()
            .next()
            .expect("an entry starts with its name")
            .to_owned()
    };
    edit_lock(repo, lock, |entries| {
        let at = entries
            .iter()
            .position(|e| name(e) > name(entry))
            .unwrap_or(entries.len());
        entries.insert(at, entry.to_owned());
    });
}

/// The toolchain named in a `rust-toolchain.toml` written by a test. Cargo runs from rustup
/// normally get `RUSTUP_TOOLCHAIN`, which wins over such a file; naming the same toolchain
/// makes sure rustup never tries to download one when it does not.
pub fn current_toolchain() -> String {
    std::env::var("RUSTUP_TOOLCHAIN").unwrap_or_else(|_| "stable".to_owned())
}

// ---------------------------------------------------------------------------------------------
// `--format github-matrix`.

fn matrix_entries(matrix: &Value, keys: &[&str]) -> Vec<Vec<String>> {
    let obj = matrix
        .as_object()
        .unwrap_or_else(|| panic!("matrix is not an object: {matrix:#}"));
    assert_eq!(obj.len(), 1, "a matrix holds only `include`: {matrix:#}");
    let include = matrix["include"]
        .as_array()
        .unwrap_or_else(|| panic!("`include` is not an array: {matrix:#}"));
    include
        .iter()
        .map(|entry| {
            let fields = entry
                .as_object()
                .unwrap_or_else(|| panic!("not an object: {entry:#}"));
            let mut got: Vec<&str> = fields.keys().map(String::as_str).collect();
            got.sort();
            let mut want = keys.to_vec();
            want.sort();
            assert_eq!(got, want, "matrix entry {entry:#}");
            keys.iter()
                .map(|k| {
                    entry[*k]
                        .as_str()
                        .unwrap_or_else(|| panic!("{k}: {entry:#}"))
                        .to_owned()
                })
                .collect()
        })
        .collect()
}

/// The `(bin, package)` entries of a github matrix, as a set; panics on a repeated entry or an
/// entry with other keys.
pub fn matrix_bins(matrix: &Value) -> BTreeSet<BinPair> {
    let entries = matrix_entries(matrix, &["bin", "package"]);
    let set: BTreeSet<BinPair> = entries
        .iter()
        .map(|e| (e[0].clone(), e[1].clone()))
        .collect();
    assert_eq!(
        set.len(),
        entries.len(),
        "a matrix entry is repeated: {matrix:#}"
    );
    set
}

/// The `package` entries of a `--tests` github matrix, as a set.
pub fn matrix_packages(matrix: &Value) -> BTreeSet<String> {
    let entries = matrix_entries(matrix, &["package"]);
    let set: BTreeSet<String> = entries.iter().map(|e| e[0].clone()).collect();
    assert_eq!(
        set.len(),
        entries.len(),
        "a matrix entry is repeated: {matrix:#}"
    );
    set
}

/// What `package` depends on in `rbee-graph graph --format json`: local packages by name,
/// external crates as `name version`.
pub fn graph_dependencies(repo: &Repo, package: &str) -> Vec<String> {
    let v = run(repo, &["graph", "--format", "json"]).json();
    let entry = v["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == package)
        .unwrap_or_else(|| panic!("no package {package}: {v:#}"));
    entry["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .map(|d| {
            let name = d["name"].as_str().expect("a name");
            match d["version"].as_str() {
                Some(version) => format!("{name} {version}"),
                None => name.to_owned(),
            }
        })
        .collect()
}
