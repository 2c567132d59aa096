//! A generator of large, realistic Cargo workspaces for benchmarks (issue 4), and beside it the
//! benchmark harness (`src/bin/bench.rs`) and the generator's command line (`src/bin/generate.rs`).
//! They live apart from `rbee-graph-testdata` so that test builds compile no plotting.
//!
//! [`generate`] writes a workspace of `crates` packages holding `files` Rust source files in all,
//! commits it into a git repository (two commits, so `HEAD~1` exists) and returns what the
//! benchmark needs to know about it. Everything is deterministic: the same [`Spec`] gives the same
//! files and the same commit ids, on any machine.
//!
//! # Shape
//!
//! The packages form layers, as a real monorepo does (`libs/*` and `bin/*`, like rbee):
//!
//! - **shared** (`libs/shared-I`, 2 to 6 of them): the wide bottom layer. `shared-0` depends on
//!   nothing; every other package depends on at least one shared crate, so a change there affects
//!   almost everything.
//! - **chain** (`libs/chain-II`, up to 20): `chain-00` -> `chain-01` -> ... each on the previous
//!   one (and a shared crate). The benchmarked binary sits on top of it, so its dependency closure
//!   stays small (chain + shared + itself) however big the workspace is, and building it once
//!   takes seconds, not the whole workspace.
//! - **mid-level libraries** (`libs/lib-IIII`, the rest): each depends on one or two shared
//!   crates, every third one on a chain crate, and on up to three of the 40 libraries before it,
//!   which gives deep and overlapping dependency paths.
//! - **binaries** (`bin/app-I`, 3 to 8): `app-0`, the benchmarked one, depends on the top of the
//!   chain; the others on a handful of mid-level libraries. They spawn each other, declared in
//!   `[workspace.metadata.rbee-graph]`: `app-0` -> `app-1` -> `app-2` (and `app-4`), `app-2` ->
//!   `app-3`.
//!
//! The `files` source files are spread evenly over the packages: each has its `src/lib.rs` (or
//! `src/main.rs` for a binary) that declares its modules `src/mNNN.rs`, each a tiny pure
//! function. Only `std` is used, so `cargo generate-lockfile --offline` writes the `Cargo.lock`.
//! The root also holds a `README.md` and a `.gitignore` with `/target`.
//!
//! # History
//!
//! The first commit holds everything; the second appends one line to one module of a mid-level
//! library (see [`Generated::touched`]). Git runs with the pinned identity and dates of
//! [`configure_git_env`](rbee_graph_testdata::configure_git_env).

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rbee_graph_testdata::Rng;

/// The size of a workspace to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Number of packages (at least 5).
    pub crates: usize,
    /// Number of `.rs` files in all (at least one per package).
    pub files: usize,
}

/// The file written inside `.git/` (outside the working tree, so git and rbee-graph never see
/// it) that records which [`Spec`] generated a workspace, for [`is_generated`].
pub const MARKER: &str = "rbee-graph-generated";

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The workspace root (also the repository root), canonicalized.
    pub root: PathBuf,
    /// The binary the benchmark checks and builds: the root of the spawn cascade, whose
    /// dependency closure is the chain and the shared crates only.
    pub bench_bin: String,
    /// Every binary, in package order.
    pub bins: Vec<String>,
    /// The repository-relative path of every `.rs` file, sorted.
    pub rs_files: Vec<String>,
    /// The file the second commit changed.
    pub touched: String,
    /// Time spent writing files, running cargo and git.
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shared,
    Chain,
    Mid,
    Bin,
}

/// One package of the layout.
#[derive(Debug, Clone)]
struct Package {
    name: String,
    kind: Kind,
    /// Indices of the packages it depends on, sorted.
    deps: Vec<usize>,
    /// Number of `.rs` files, the root file included.
    files: usize,
}

impl Package {
    fn dir(&self) -> String {
        match self.kind {
            Kind::Bin => format!("bin/{}", self.name),
            _ => format!("libs/{}", self.name),
        }
    }

    fn lib_name(&self) -> String {
        self.name.replace('-', "_")
    }

    fn root_file(&self) -> &'static str {
        if self.kind == Kind::Bin {
            "main.rs"
        } else {
            "lib.rs"
        }
    }

    /// Repository-relative paths of its `.rs` files: the root file, then the modules.
    fn rs_files(&self) -> Vec<String> {
        let dir = self.dir();
        let mut files = vec![format!("{dir}/src/{}", self.root_file())];
        files.extend((1..self.files).map(|m| format!("{dir}/src/m{m:03}.rs")));
        files
    }
}

/// The packages of a workspace of this size, in dependency order (every package after all of
/// its dependencies).
fn layout(spec: &Spec) -> io::Result<Vec<Package>> {
    let n = spec.crates;
    if n < 5 {
        return Err(io::Error::other(format!(
            "a generated workspace needs at least 5 crates, not {n}"
        )));
    }
    if spec.files < n {
        return Err(io::Error::other(format!(
            "{} files cannot give each of {n} crates its own lib.rs or main.rs",
            spec.files
        )));
    }
    let bins = (n / 12).clamp(3, 8);
    let shared = (n / 20).clamp(2, 6);
    let chain = (n - bins - shared).min((n / 5).clamp(1, 20));
    let mid = n - bins - shared - chain;
    let mut rng = Rng::new(n as u64 ^ ((spec.files as u64) << 32));

    let mut packages: Vec<Package> = Vec::with_capacity(n);
    let mut add = |name: String, kind: Kind, mut deps: Vec<usize>| {
        deps.sort_unstable();
        deps.dedup();
        packages.push(Package {
            name,
            kind,
            deps,
            files: 0,
        });
    };
    for i in 0..shared {
        add(
            format!("shared-{i}"),
            Kind::Shared,
            if i == 0 { vec![] } else { vec![0] },
        );
    }
    for k in 0..chain {
        let below = if k == 0 { 0 } else { shared + k - 1 };
        add(
            format!("chain-{k:02}"),
            Kind::Chain,
            vec![below, k % shared],
        );
    }
    let first_mid = shared + chain;
    for j in 0..mid {
        let mut deps = vec![j % shared, rng.below(shared)];
        if chain > 0 && j % 3 == 0 {
            deps.push(shared + rng.below(chain));
        }
        let window = j.min(40);
        if window > 0 {
            for _ in 0..rng.below(4) {
                deps.push(first_mid + j - 1 - rng.below(window));
            }
        }
        add(format!("lib-{j:04}"), Kind::Mid, deps);
    }
    for b in 0..bins {
        let deps = if b == 0 {
            // The benchmarked binary: the top of the chain (or the last shared crate).
            vec![0, shared + chain - 1]
        } else if mid == 0 {
            vec![b % shared, shared + chain - 1]
        } else {
            let mut deps = vec![b % shared];
            // Mostly from the upper half of the mid-level libraries, as applications are.
            for _ in 0..6 {
                deps.push(first_mid + mid / 2 + rng.below(mid - mid / 2));
            }
            deps
        };
        add(format!("app-{b}"), Kind::Bin, deps);
    }

    let (base, extra) = (spec.files / n, spec.files % n);
    for (i, package) in packages.iter_mut().enumerate() {
        package.files = base + usize::from(i < extra);
    }
    Ok(packages)
}

/// The spawn cascade, as `(spawner, [spawned])`, over the binaries `app-0..app-{bins-1}`.
fn cascade(bins: usize) -> Vec<(String, Vec<String>)> {
    let mut spawns = vec![("app-0".to_owned(), vec!["app-1".to_owned()])];
    let mut second = vec!["app-2".to_owned()];
    if bins > 4 {
        second.push("app-4".to_owned());
    }
    spawns.push(("app-1".to_owned(), second));
    if bins > 3 {
        spawns.push(("app-2".to_owned(), vec!["app-3".to_owned()]));
    }
    spawns
}

fn root_manifest(packages: &[Package]) -> String {
    let bins = packages.iter().filter(|p| p.kind == Kind::Bin).count();
    let spawns = cascade(bins)
        .iter()
        .map(|(from, to)| {
            let to: Vec<String> = to.iter().map(|t| format!("\"{t}\"")).collect();
            format!("\"{from}\" = [{}]", to.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "[workspace]\nresolver = \"3\"\nmembers = [\"libs/*\", \"bin/*\"]\n\n\
         [workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [workspace.metadata.rbee-graph]\nspawns = {{ {spawns} }}\n"
    )
}

fn package_manifest(package: &Package, packages: &[Package]) -> String {
    let mut s = format!(
        "[package]\nname = \"{}\"\nversion.workspace = true\nedition.workspace = true\n\
         publish = false\n",
        package.name
    );
    if !package.deps.is_empty() {
        let up = if package.kind == Kind::Bin {
            "../../libs"
        } else {
            ".."
        };
        s.push_str("\n[dependencies]\n");
        for &d in &package.deps {
            let dep = &packages[d].name;
            let _ = writeln!(s, "{dep} = {{ path = \"{up}/{dep}\" }}");
        }
    }
    s
}

fn module_source(package: &Package, index: usize, m: usize) -> String {
    // Constants vary with the package and module so that no two files are identical.
    let mul = (index as u64).wrapping_mul(0x9E37_79B9) | 1;
    format!(
        "//! Module {m} of `{name}`.\n\n\
         /// A small pure function, so that the crate has real code to compile.\n\
         pub fn f{m}(x: u64) -> u64 {{\n    \
         x.wrapping_mul({mul}).rotate_left({rot}) ^ {m}\n}}\n",
        name = package.name,
        rot = (index + m) % 63 + 1,
    )
}

fn root_source(package: &Package, index: usize, packages: &[Package]) -> String {
    let mut s = String::new();
    let is_bin = package.kind == Kind::Bin;
    let _ = writeln!(
        s,
        "//! `{}`: generated by rbee-graph-testdata for benchmarks.\n",
        package.name
    );
    for m in 1..package.files {
        let _ = writeln!(s, "{}mod m{m:03};", if is_bin { "" } else { "pub " });
    }
    if package.files > 1 {
        s.push('\n');
    }
    let mut body = String::new();
    for &d in &package.deps {
        let _ = writeln!(body, "    v ^= {}::ID;", packages[d].lib_name());
    }
    for m in 1..package.files {
        let _ = writeln!(body, "    v = m{m:03}::f{m}(v);");
    }
    if is_bin {
        let _ = write!(
            s,
            "fn main() {{\n    let mut v = std::env::args().count() as u64;\n{body}    \
             println!(\"{{v}}\");\n}}\n"
        );
    } else {
        let _ = write!(
            s,
            "/// This crate's identity, which its dependents read.\npub const ID: u64 = {index};\n\n\
             /// Combines this crate's functions with its dependencies' identities.\n\
             pub fn value(x: u64) -> u64 {{\n    let mut v = x;\n{body}    v\n}}\n"
        );
    }
    s
}

fn write(root: &Path, rel: &str, contents: &str) -> io::Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&path, contents).map_err(|e| io::Error::other(format!("{}: {e}", path.display())))
}

/// Runs `cmd`, failing with its standard error when it fails.
fn run(cmd: &mut Command) -> io::Result<String> {
    let out = cmd
        .output()
        .map_err(|e| io::Error::other(format!("cannot run {cmd:?}: {e}")))?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A git command in `root` with the pinned environment of the crate docs.
fn git(root: &Path, args: &[&str]) -> io::Result<String> {
    let mut cmd = Command::new("git");
    rbee_graph_testdata::configure_git_env(&mut cmd)
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
        .args(args)
        .current_dir(root);
    run(&mut cmd)
}

/// Removes from `cmd` the environment that would send cargo's output elsewhere than the
/// generated workspace's own `target/`, or that `cargo run` sets for the program it runs.
pub fn clean_cargo_env(cmd: &mut Command) -> &mut Command {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key == "CARGO_TARGET_DIR"
            || key == "CARGO_BUILD_TARGET_DIR"
            || key == "CARGO_MANIFEST_DIR"
            || key == "CARGO_MANIFEST_PATH"
            || key == "CARGO_CRATE_NAME"
            || key == "CARGO_BIN_NAME"
            || key == "CARGO_PRIMARY_PACKAGE"
            || key.starts_with("CARGO_PKG_")
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn marker_text(spec: &Spec) -> String {
    format!("crates={} files={} layout=1\n", spec.crates, spec.files)
}

/// Whether `out` holds a complete workspace that [`generate`] wrote for `spec`.
pub fn is_generated(spec: &Spec, out: &Path) -> bool {
    fs::read_to_string(out.join(".git").join(MARKER)).is_ok_and(|s| s == marker_text(spec))
}

/// What [`generate`] writes for `spec` at `root`, without writing it.
pub fn describe(spec: &Spec, root: &Path) -> io::Result<Generated> {
    let packages = layout(spec)?;
    let mut rs_files: Vec<String> = packages.iter().flat_map(Package::rs_files).collect();
    rs_files.sort();
    let bins = packages
        .iter()
        .filter(|p| p.kind == Kind::Bin)
        .map(|p| p.name.clone())
        .collect();
    let touched = packages
        .iter()
        .filter(|p| p.kind == Kind::Mid)
        .nth(packages.iter().filter(|p| p.kind == Kind::Mid).count() / 2)
        .or_else(|| packages.iter().find(|p| p.kind == Kind::Shared))
        .map(|p| p.rs_files().pop().expect("every package has a root file"))
        .expect("there is a shared crate");
    Ok(Generated {
        root: root.to_owned(),
        bench_bin: "app-0".to_owned(),
        bins,
        rs_files,
        touched,
        elapsed: Duration::ZERO,
    })
}

/// Writes the workspace for `spec` into `out` (which must not exist, or be empty), generates
/// its `Cargo.lock` with cargo (offline) and commits it into a new git repository, twice.
pub fn generate(spec: &Spec, out: &Path) -> io::Result<Generated> {
    let start = Instant::now();
    let packages = layout(spec)?;
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        return Err(io::Error::other(format!(
            "{} exists and is not empty",
            out.display()
        )));
    }
    fs::create_dir_all(out)?;
    let root = out.canonicalize()?;

    write(&root, "Cargo.toml", &root_manifest(&packages))?;
    write(&root, ".gitignore", "/target\n")?;
    write(
        &root,
        "README.md",
        &format!(
            "# A generated workspace\n\n{} crates, {} source files, written by \
             `rbee-graph-testdata`'s `generate` for rbee-graph's benchmarks.\n",
            spec.crates, spec.files
        ),
    )?;
    for (index, package) in packages.iter().enumerate() {
        let dir = package.dir();
        write(
            &root,
            &format!("{dir}/Cargo.toml"),
            &package_manifest(package, &packages),
        )?;
        write(
            &root,
            &format!("{dir}/src/{}", package.root_file()),
            &root_source(package, index, &packages),
        )?;
        for m in 1..package.files {
            write(
                &root,
                &format!("{dir}/src/m{m:03}.rs"),
                &module_source(package, index, m),
            )?;
        }
    }

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(clean_cargo_env(
        Command::new(&cargo)
            .args(["generate-lockfile", "--offline", "--quiet"])
            .current_dir(&root),
    ))?;

    let mut generated = describe(spec, &root)?;
    git(&root, &["init", "-q", "-b", "main"])?;
    git(&root, &["add", "-A"])?;
    git(&root, &["commit", "-q", "-m", "initial"])?;
    let touched = root.join(&generated.touched);
    let mut text = fs::read_to_string(&touched)?;
    text.push_str("\n/// Added by the second commit.\npub const TOUCHED: bool = true;\n");
    fs::write(&touched, text)?;
    git(&root, &["commit", "-q", "-a", "-m", "touch one file"])?;
    fs::write(root.join(".git").join(MARKER), marker_text(spec))?;
    generated.elapsed = start.elapsed();
    Ok(generated)
}

/// Runs `rbee-graph build BIN` once in the workspace, so that a build record and cargo's
/// dep-info exist; returns how long it took.
pub fn build_once(generated: &Generated, rbee_graph: &Path) -> io::Result<Duration> {
    let start = Instant::now();
    run(clean_cargo_env(
        Command::new(rbee_graph)
            .args(["build", &generated.bench_bin])
            .current_dir(&generated.root),
    ))?;
    Ok(start.elapsed())
}

/// Where the release `rbee-graph` binary is expected: `<target>/release/rbee-graph`, where
/// `<target>` is the target directory holding the running executable.
pub fn default_rbee_graph() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    // `dir` is `<target>/<profile>`.
    dir.pop();
    dir.join("release").join("rbee-graph")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_rs(dir: &Path) -> usize {
        let mut n = 0;
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_name() == ".git" || entry.file_name() == "target" {
                continue;
            }
            if path.is_dir() {
                n += count_rs(&path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn layouts_are_acyclic_and_sized() {
        for (crates, files) in [(5, 20), (10, 500), (100, 5_000), (1_000, 50_000)] {
            let spec = Spec { crates, files };
            let packages = layout(&spec).unwrap();
            assert_eq!(packages.len(), crates);
            assert_eq!(packages.iter().map(|p| p.files).sum::<usize>(), files);
            for (i, p) in packages.iter().enumerate() {
                assert!(p.deps.iter().all(|&d| d < i), "{} depends forward", p.name);
            }
            // The benchmarked binary's closure stays small.
            let mut closure =
                vec![packages.len() - packages.iter().filter(|p| p.kind == Kind::Bin).count()];
            let mut seen = std::collections::BTreeSet::new();
            while let Some(i) = closure.pop() {
                if seen.insert(i) {
                    closure.extend(&packages[i].deps);
                }
            }
            assert!(
                seen.len() <= 28,
                "{crates} crates: closure of app-0 has {}",
                seen.len()
            );
            assert_eq!(
                describe(&spec, Path::new("/x")).unwrap().rs_files.len(),
                files
            );
        }
    }

    #[test]
    fn generated_workspace_is_valid_and_deterministic() {
        let spec = Spec {
            crates: 5,
            files: 20,
        };
        let a = rbee_graph_testdata::tempfile::tempdir().unwrap();
        let b = rbee_graph_testdata::tempfile::tempdir().unwrap();
        let ga = generate(&spec, a.path()).unwrap();
        let gb = generate(&spec, &b.path().join("ws")).unwrap();
        assert!(is_generated(&spec, &ga.root));
        assert_eq!(count_rs(&ga.root), 20);
        assert_eq!(ga.rs_files.len(), 20);
        assert_eq!(ga.bins, ["app-0", "app-1", "app-2"]);

        let metadata = run(clean_cargo_env(
            Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .args([
                    "metadata",
                    "--no-deps",
                    "--format-version",
                    "1",
                    "--offline",
                ])
                .current_dir(&ga.root),
        ))
        .unwrap();
        assert_eq!(metadata.matches("\"manifest_path\"").count(), 5);
        assert!(metadata.contains("\"spawns\""));

        let head = |root: &Path| git(root, &["rev-parse", "HEAD"]).unwrap();
        assert_eq!(head(&ga.root), head(&gb.root), "same spec, same commits");
        assert_eq!(
            git(&ga.root, &["rev-list", "--count", "HEAD"]).unwrap(),
            "2"
        );
        assert_eq!(
            git(&ga.root, &["diff", "--name-only", "HEAD~1", "HEAD"]).unwrap(),
            ga.touched
        );
        assert_eq!(git(&ga.root, &["status", "--porcelain"]).unwrap(), "");
        assert!(ga.root.join("Cargo.lock").is_file());
    }
}
