//! Running the binary, reading its JSON, and editing fixtures.
//!
//! Assertions compare sets of `(bin, package)` pairs, because a binary name is not unique across
//! packages, and exact lists of changed paths. Reasons are checked by kind, package and path only:
//! the engine may merge reasons, so their number is not part of the contract.

#![allow(dead_code)] // Not every test module uses every helper.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use rbee_graph_testdata::{Repo, configure_git_env};
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
    let mut cmd = Command::new(BIN);
    configure_git_env(&mut cmd);
    if let Some(parent) = repo.root().parent() {
        cmd.env("GIT_CEILING_DIRECTORIES", parent);
    }
    // Logging or colours would add to the one line of stderr that errors are allowed.
    cmd.env_remove("RBEE_GRAPH_LOG")
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    cmd.args(args).current_dir(dir);
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
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
        "global" | "unowned" => {
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
