//! The benchmark harness of issue 4: rbee-graph against what a user would otherwise run.
//!
//! ```sh
//! cargo run --release -p rbee-graph-bench --bin bench -- [--sizes 10,100,1000] [--runs 5]
//! ```
//!
//! For each size (number of crates; 50 source files per crate) it generates a workspace (or
//! reuses the one already in `OUT/ws-N`), builds its benchmarked binary once with rbee-graph,
//! then measures whole processes, in rounds, alternating the commands within each round (the
//! order rotates from round to round) so that drift affects them all alike. See BENCHMARKS.md.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use rbee_graph_testdata::Rng;

use rbee_graph_bench::{
    Generated, Spec, build_once, clean_cargo_env, default_rbee_graph, describe, generate,
    is_generated,
};

const USAGE: &str = "usage: bench [--sizes 10,100,1000] [--files-per-crate 50] [--runs 5] \
[--warmup 1] [--out DIR] [--rbee-graph PATH]

Generates a workspace per size (crates; reused when OUT/ws-N already holds it), builds its binary
`app-0` once, and measures rbee-graph against cargo and git, whole processes, alternating the
commands within each round. Writes OUT/results.md, OUT/results.json and OUT/plot.svg.
OUT defaults to <target>/rbee-bench. Without --rbee-graph, it first runs
`cargo build --release -p rbee-graph` in this repository and measures that binary.";

/// One command to measure.
struct Cmd {
    /// Stable key, used in the JSON and the plot.
    id: String,
    /// As shown in the tables.
    label: String,
    program: PathBuf,
    args: Vec<String>,
    /// An rbee-graph command (as opposed to an anchor).
    ours: bool,
}

/// Measurements of one command at one size.
#[derive(Default)]
struct Samples {
    label: String,
    ours: bool,
    /// Wall time, milliseconds.
    ms: Vec<f64>,
    /// Peak resident set size, KiB (`ru_maxrss`).
    maxrss_kib: Vec<u64>,
}

impl Samples {
    fn median(&self) -> f64 {
        median(&self.ms)
    }
    fn min(&self) -> f64 {
        self.ms.iter().copied().fold(f64::INFINITY, f64::min)
    }
    fn max(&self) -> f64 {
        self.ms.iter().copied().fold(0.0, f64::max)
    }
    fn peak_mib(&self) -> f64 {
        self.maxrss_kib.iter().copied().max().unwrap_or(0) as f64 / 1024.0
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Everything measured at one size.
struct SizeResult {
    spec: Spec,
    generate_s: Option<f64>,
    build_s: f64,
    /// `/proc/loadavg` before and after the measurements (other work on the machine skews them).
    load: (String, String),
    /// By command id, in the order the commands were declared.
    samples: Vec<(String, Samples)>,
}

impl SizeResult {
    fn get(&self, id: &str) -> Option<&Samples> {
        self.samples.iter().find(|(i, _)| i == id).map(|(_, s)| s)
    }
}

struct Options {
    sizes: Vec<usize>,
    files_per_crate: usize,
    runs: usize,
    warmup: usize,
    out: PathBuf,
    rbee_graph: Option<PathBuf>,
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::from(2)
        }
    }
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut o = Options {
        sizes: vec![10, 100, 1000],
        files_per_crate: 50,
        runs: 5,
        warmup: 1,
        out: default_rbee_graph()
            .parent()
            .and_then(Path::parent)
            .map(|t| t.join("rbee-bench"))
            .unwrap_or_else(|| PathBuf::from("rbee-bench")),
        rbee_graph: None,
    };
    let mut args = std::env::args().skip(1);
    let num = |s: &str| -> Result<usize, String> {
        s.replace('_', "")
            .parse()
            .map_err(|_| format!("not a number: {s:?}"))
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--sizes" => {
                o.sizes = value("--sizes")?
                    .split(',')
                    .map(num)
                    .collect::<Result<_, _>>()?
            }
            "--files-per-crate" => o.files_per_crate = num(&value("--files-per-crate")?)?,
            "--runs" => o.runs = num(&value("--runs")?)?.max(1),
            "--warmup" => o.warmup = num(&value("--warmup")?)?,
            "--out" => o.out = PathBuf::from(value("--out")?),
            "--rbee-graph" => o.rbee_graph = Some(PathBuf::from(value("--rbee-graph")?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Some(o))
}

fn real_main() -> Result<(), String> {
    let Some(opts) = parse_args()? else {
        return Ok(());
    };
    fs::create_dir_all(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let out = opts.out.canonicalize().map_err(|e| e.to_string())?;

    // The cargo binary itself, not the rustup proxy: `cargo run` says where it is.
    let cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("cargo"));
    let rbee_graph = match &opts.rbee_graph {
        Some(path) => path.clone(),
        None => {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
            eprintln!("bench: cargo build --release -p rbee-graph");
            let status = Command::new(&cargo)
                .args(["build", "--release", "-p", "rbee-graph", "--manifest-path"])
                .arg(&manifest)
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() {
                return Err("building rbee-graph failed".into());
            }
            default_rbee_graph()
        }
    };
    let rbee_graph = rbee_graph
        .canonicalize()
        .map_err(|e| format!("no rbee-graph at {}: {e}", rbee_graph.display()))?;
    let machine = machine(&cargo, &rbee_graph);
    eprintln!("{}", machine_md(&machine));

    let mut results = Vec::new();
    for &crates in &opts.sizes {
        let spec = Spec {
            crates,
            files: crates * opts.files_per_crate,
        };
        results.push(bench_size(&opts, &out, spec, &cargo, &rbee_graph)?);
    }

    let md = report_md(&opts, &machine, &results);
    println!("{md}");
    let write = |name: &str, text: &str| {
        fs::write(out.join(name), text).map_err(|e| format!("{}: {e}", out.join(name).display()))
    };
    write("results.md", &md)?;
    write(
        "results.json",
        &serde_json::to_string_pretty(&report_json(&opts, &machine, &results))
            .expect("JSON values serialize"),
    )?;
    plot(&out.join("plot.svg"), &results).map_err(|e| format!("plot: {e}"))?;
    eprintln!(
        "bench: wrote {0}/results.md, {0}/results.json and {0}/plot.svg",
        out.display()
    );
    Ok(())
}

fn bench_size(
    opts: &Options,
    out: &Path,
    spec: Spec,
    cargo: &Path,
    rbee_graph: &Path,
) -> Result<SizeResult, String> {
    let dir = out.join(format!("ws-{}", spec.crates));
    let (ws, generate_s) = if is_generated(&spec, &dir) {
        eprintln!("bench: reusing {}", dir.display());
        let root = dir.canonicalize().map_err(|e| e.to_string())?;
        (describe(&spec, &root).map_err(|e| e.to_string())?, None)
    } else {
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        eprintln!(
            "bench: generating {} crates, {} files in {}",
            spec.crates,
            spec.files,
            dir.display()
        );
        let ws = generate(&spec, &dir).map_err(|e| e.to_string())?;
        let secs = ws.elapsed.as_secs_f64();
        eprintln!("bench: generated in {secs:.1} s");
        (ws, Some(secs))
    };
    // Start from a clean working tree, whatever an interrupted run left behind.
    restore(&ws, &[]).map_err(|e| e.to_string())?;
    let build = build_once(&ws, rbee_graph).map_err(|e| e.to_string())?;
    eprintln!(
        "bench: rbee-graph build {} in {:.1} s",
        ws.bench_bin,
        build.as_secs_f64()
    );

    let bin = ws.bench_bin.clone();
    let rg = |id: &str, label: &str, args: &[&str]| Cmd {
        id: id.into(),
        label: label.into(),
        program: rbee_graph.to_owned(),
        args: args.iter().map(|s| s.to_string()).collect(),
        ours: true,
    };
    let anchor = |id: &str, label: &str, program: &Path, args: &[&str]| Cmd {
        id: id.into(),
        label: label.into(),
        program: program.to_owned(),
        args: args.iter().map(|s| s.to_string()).collect(),
        ours: false,
    };
    let clean = vec![
        rg(
            "ensure",
            &format!("rbee-graph ensure {bin}"),
            &["ensure", &bin],
        ),
        rg("status", "rbee-graph status", &["status"]),
        rg(
            "affected",
            "rbee-graph affected --base HEAD~1",
            &["affected", "--base", "HEAD~1"],
        ),
        rg(
            "head-affected",
            "rbee-graph affected --base HEAD~1 --head HEAD",
            &["affected", "--base", "HEAD~1", "--head", "HEAD"],
        ),
        anchor(
            "cargo-build",
            &format!("cargo build --bin {bin} (no-op)"),
            cargo,
            &["build", "--bin", &bin],
        ),
        anchor(
            "cargo-metadata",
            "cargo metadata --no-deps",
            cargo,
            &["metadata", "--no-deps", "--format-version", "1"],
        ),
        anchor(
            "git-status",
            "git status --porcelain",
            Path::new("git"),
            &["status", "--porcelain"],
        ),
    ];
    let changed: Vec<(Scenario, Vec<Cmd>)> = scenarios(ws.rs_files.len())
        .into_iter()
        .map(|sc| {
            let cmds = vec![
                rg(
                    &format!("affected-{}", sc.key),
                    &format!("rbee-graph affected --base HEAD~1, {}", sc.desc),
                    &["affected", "--base", "HEAD~1"],
                ),
                anchor(
                    &format!("git-status-{}", sc.key),
                    &format!("git status --porcelain, {}", sc.desc),
                    Path::new("git"),
                    &["status", "--porcelain"],
                ),
            ];
            (sc, cmds)
        })
        .collect();

    let mut samples: Vec<(String, Samples)> = clean
        .iter()
        .chain(changed.iter().flat_map(|(_, cmds)| cmds))
        .map(|c| {
            (
                c.id.clone(),
                Samples {
                    label: c.label.clone(),
                    ours: c.ours,
                    ..Samples::default()
                },
            )
        })
        .collect();
    let index: BTreeMap<String, usize> = samples
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.clone(), i))
        .collect();

    let load_before = loadavg();
    let rounds = opts.warmup + opts.runs;
    for round in 0..rounds {
        let record = round >= opts.warmup;
        eprintln!(
            "bench: {} crates, round {}/{}{}",
            spec.crates,
            round + 1,
            rounds,
            if record { "" } else { " (warm-up)" }
        );
        let mut measure_all = |cmds: &[Cmd]| -> Result<(), String> {
            let n = cmds.len();
            for j in 0..n {
                let cmd = &cmds[(j + round) % n];
                let (wall, maxrss) = measure(cmd, &ws.root)?;
                if record {
                    let s = &mut samples[index[&cmd.id]].1;
                    s.ms.push(wall.as_secs_f64() * 1e3);
                    s.maxrss_kib.push(maxrss);
                }
            }
            Ok(())
        };
        measure_all(&clean)?;
        for (scenario, cmds) in &changed {
            let saved = edit(&ws, scenario).map_err(|e| e.to_string())?;
            let result = measure_all(cmds);
            restore(&ws, &saved).map_err(|e| e.to_string())?;
            result?;
        }
    }
    Ok(SizeResult {
        spec,
        generate_s,
        build_s: build.as_secs_f64(),
        load: (load_before, loadavg()),
        samples,
    })
}

/// Runs `cmd` in `dir` with its output discarded; returns its wall time and peak RSS (KiB).
fn measure(cmd: &Cmd, dir: &Path) -> Result<(Duration, u64), String> {
    let mut command = Command::new(&cmd.program);
    clean_cargo_env(&mut command)
        .args(&cmd.args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", cmd.label))?;
    let (status, rusage) = wait4(child.id()).map_err(|e| format!("wait for {}: {e}", cmd.label))?;
    let wall = start.elapsed();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        // Run it again to show why.
        let out = Command::new(&cmd.program)
            .args(&cmd.args)
            .current_dir(dir)
            .output();
        let why = out
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_default();
        return Err(format!(
            "`{}` failed in {} (wait status {status}):\n{why}",
            cmd.label,
            dir.display()
        ));
    }
    // On Linux, ru_maxrss is in KiB.
    Ok((wall, rusage.ru_maxrss.max(0) as u64))
}

/// Waits for the child `pid` (which std's `Child` must not wait for too) and returns its wait
/// status and resource usage.
fn wait4(pid: u32) -> io::Result<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: rusage is plain old data, for which all zeroes is a valid value.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: the pointers are valid for the duration of the call.
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut rusage) };
        if r == pid as libc::pid_t {
            return Ok((status, rusage));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// A state of the working tree in which `affected` is measured.
struct Scenario {
    /// Part of the command ids (`affected-KEY`, `git-status-KEY`).
    key: String,
    /// As shown in the tables.
    desc: String,
    /// Number of files changed.
    files: usize,
    /// Whether the one file changed is a target's root (`src/lib.rs`), instead of a module.
    root_file: bool,
}

/// The changed-file scenarios for a workspace of `n` source files: 1 file (a module), 1
/// `src/lib.rs` (which declares the crate's modules, so rbee-graph may treat it specially), 100
/// and 10,000 files (where there are that many).
fn scenarios(n: usize) -> Vec<Scenario> {
    let mut v = vec![
        Scenario {
            key: "1".into(),
            desc: "1 changed".into(),
            files: 1,
            root_file: false,
        },
        Scenario {
            key: "1-lib".into(),
            desc: "1 changed lib.rs".into(),
            files: 1,
            root_file: true,
        },
    ];
    for k in [100, 10_000] {
        if k <= n {
            v.push(Scenario {
                key: k.to_string(),
                desc: format!("{k} changed"),
                files: k,
                root_file: false,
            });
        }
    }
    v
}

/// Appends a comment line to the scenario's files: the `lib.rs` of the library the second
/// commit touched, or files drawn at random (with a fixed seed) from all `.rs` files, so that
/// they spread over the crates and about one in 50 is a crate root, as in the workspace. Returns
/// each edited path with its modification time, for [`restore`].
fn edit(ws: &Generated, scenario: &Scenario) -> io::Result<Vec<(PathBuf, SystemTime)>> {
    let files: Vec<String> = if scenario.root_file {
        let dir = ws.touched.rsplit_once('/').map_or("", |(dir, _)| dir);
        vec![format!("{dir}/lib.rs")]
    } else {
        let mut order: Vec<usize> = (0..ws.rs_files.len()).collect();
        order.sort_by_key(|&i| Rng::new(i as u64).next());
        let mut files: Vec<String> = order[..scenario.files]
            .iter()
            .map(|&i| ws.rs_files[i].clone())
            .collect();
        if scenario.files == 1 && (files[0].ends_with("/lib.rs") || files[0].ends_with("/main.rs"))
        {
            // The single-file scenario is a module; `1-lib` covers a crate root.
            files = vec![ws.touched.clone()];
        }
        files
    };
    let mut saved = Vec::with_capacity(files.len());
    for file in files {
        let path = ws.root.join(file);
        let mtime = fs::metadata(&path)?.modified()?;
        let mut f = fs::OpenOptions::new().append(true).open(&path)?;
        io::Write::write_all(&mut f, b"// edited by the benchmark\n")?;
        saved.push((path, mtime));
    }
    Ok(saved)
}

/// Puts the working tree back as committed (`git checkout -- . && git clean -fdq`), gives the
/// edited files back their modification times (so cargo's no-op stays a no-op), and refreshes
/// git's index so that its stat cache is as it was.
fn restore(ws: &Generated, saved: &[(PathBuf, SystemTime)]) -> io::Result<()> {
    let git = |args: &[&str]| -> io::Result<()> {
        let status = Command::new("git")
            .args(args)
            .current_dir(&ws.root)
            .stdout(Stdio::null())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("git {args:?} failed ({status})")))
        }
    };
    git(&["checkout", "-q", "--", "."])?;
    git(&["clean", "-fdq"])?;
    for (path, mtime) in saved {
        fs::File::options()
            .write(true)
            .open(path)?
            .set_modified(*mtime)?;
    }
    // Exits 1 when files need updating; it has refreshed the index all the same.
    let _ = Command::new("git")
        .args(["update-index", "-q", "--refresh"])
        .current_dir(&ws.root)
        .stdout(Stdio::null())
        .status()?;
    Ok(())
}

/// The 1, 5 and 15 minute load averages.
fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Facts about the machine and the tools, as (name, value).
fn machine(cargo: &Path, rbee_graph: &Path) -> Vec<(&'static str, String)> {
    let cmd_out = |program: &Path, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "?".into())
    };
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "?".into());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("Linux {}", s.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_owned());
    vec![
        ("cpus (nproc)", nproc),
        ("cpu", cpu),
        ("memory", mem),
        ("kernel", kernel),
        ("rustc", cmd_out(Path::new("rustc"), &["-V"])),
        ("cargo", cmd_out(cargo, &["-V"])),
        ("git", cmd_out(Path::new("git"), &["--version"])),
        ("rbee-graph", rbee_graph.display().to_string()),
    ]
}

fn machine_md(machine: &[(&str, String)]) -> String {
    machine
        .iter()
        .map(|(k, v)| format!("- {k}: {v}\n"))
        .collect()
}

fn ratio(results: &SizeResult, a: &str, b: &str) -> Option<f64> {
    Some(results.get(a)?.median() / results.get(b)?.median())
}

/// The ratios reported for these results, as (label, numerator id, denominator id).
fn ratios(results: &[&SizeResult]) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = [
        ("ensure / cargo build no-op", "ensure", "cargo-build"),
        ("ensure / git status", "ensure", "git-status"),
        ("affected / git status", "affected", "git-status"),
        (
            "affected --head HEAD / git status",
            "head-affected",
            "git-status",
        ),
        ("status / git status", "status", "git-status"),
    ]
    .iter()
    .map(|(l, a, b)| (l.to_string(), a.to_string(), b.to_string()))
    .collect();
    for r in results {
        for (id, x) in &r.samples {
            let Some(key) = id.strip_prefix("affected-") else {
                continue;
            };
            let desc = x.label.rsplit(", ").next().unwrap_or(key);
            let label = format!("affected / git status, {desc}");
            if !v.iter().any(|(l, _, _)| *l == label) {
                v.push((label, id.clone(), format!("git-status-{key}")));
            }
        }
    }
    v
}

fn report_md(opts: &Options, machine: &[(&str, String)], results: &[SizeResult]) -> String {
    let mut s = String::from("## Machine\n\n");
    s.push_str(&machine_md(machine));
    s.push_str(&format!(
        "\n{} measured runs per command after {} warm-up round(s), commands alternating within \
         each round; whole-process wall time in milliseconds. Peak RSS is `ru_maxrss` of the \
         process itself (not its children).\n",
        opts.runs, opts.warmup
    ));
    for r in results {
        s.push_str(&format!(
            "\n## {} crates, {} files\n\ngenerated in {}, `rbee-graph build app-0` took {:.1} s; \
             load average {} before, {} after\n\n",
            r.spec.crates,
            r.spec.files,
            r.generate_s
                .map(|g| format!("{g:.1} s"))
                .unwrap_or_else(|| "(reused)".into()),
            r.build_s,
            r.load.0,
            r.load.1
        ));
        s.push_str("| command | median ms | min ms | max ms | peak RSS MiB |\n");
        s.push_str("|---|---:|---:|---:|---:|\n");
        for (_, x) in &r.samples {
            s.push_str(&format!(
                "| {}`{}` | {:.1} | {:.1} | {:.1} | {:.1} |\n",
                if x.ours { "" } else { "anchor: " },
                x.label,
                x.median(),
                x.min(),
                x.max(),
                x.peak_mib()
            ));
        }
    }
    s.push_str("\n## Ratios (medians, rbee-graph / anchor)\n\n| ratio |");
    for r in results {
        s.push_str(&format!(" {} crates |", r.spec.crates));
    }
    s.push_str("\n|---|");
    s.push_str(&"---:|".repeat(results.len()));
    s.push('\n');
    for (label, a, b) in ratios(&results.iter().collect::<Vec<_>>()) {
        s.push_str(&format!("| {label} |"));
        for r in results {
            match ratio(r, &a, &b) {
                Some(x) => s.push_str(&format!(" {x:.2} |")),
                None => s.push_str(" - |"),
            }
        }
        s.push('\n');
    }
    s
}

fn report_json(
    opts: &Options,
    machine: &[(&str, String)],
    results: &[SizeResult],
) -> serde_json::Value {
    use serde_json::json;
    let sizes: Vec<_> = results
        .iter()
        .map(|r| {
            let commands: Vec<_> = r
                .samples
                .iter()
                .map(|(id, x)| {
                    json!({
                        "id": id,
                        "command": x.label,
                        "rbee_graph": x.ours,
                        "samples_ms": x.ms,
                        "maxrss_kib": x.maxrss_kib,
                        "median_ms": x.median(),
                        "min_ms": x.min(),
                        "max_ms": x.max(),
                        "peak_rss_mib": x.peak_mib(),
                    })
                })
                .collect();
            let ratios: serde_json::Map<_, _> = ratios(&[r])
                .into_iter()
                .filter_map(|(label, a, b)| Some((label, json!(ratio(r, &a, &b)?))))
                .collect();
            json!({
                "crates": r.spec.crates,
                "files": r.spec.files,
                "generate_s": r.generate_s,
                "build_s": r.build_s,
                "loadavg_before": r.load.0,
                "loadavg_after": r.load.1,
                "commands": commands,
                "ratios": ratios,
            })
        })
        .collect();
    json!({
        "schema": 1,
        "machine": machine.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "runs": opts.runs,
        "warmup": opts.warmup,
        "files_per_crate": opts.files_per_crate,
        "sizes": sizes,
    })
}

/// Width of the legend column of the plot, pixels.
const LEGEND_WIDTH: u32 = 380;

/// Median time against workspace size, log-log, one line per command.
fn plot(path: &Path, results: &[SizeResult]) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;

    // One series per command id, in first-seen order.
    type Series = (String, String, bool, Vec<(f64, f64)>);
    let mut series: Vec<Series> = Vec::new();
    for r in results {
        for (id, x) in &r.samples {
            let point = (r.spec.crates as f64, x.median());
            match series.iter_mut().find(|s| &s.0 == id) {
                Some(s) => s.3.push(point),
                None => series.push((id.clone(), x.label.clone(), x.ours, vec![point])),
            }
        }
    }
    let ys = series.iter().flat_map(|s| s.3.iter().map(|p| p.1));
    let (ymin, ymax) = ys.fold((f64::INFINITY, 0.0f64), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let xs = results.iter().map(|r| r.spec.crates as f64);
    let (xmin, xmax) = xs.fold((f64::INFINITY, 0.0f64), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if !ymin.is_finite() || !xmin.is_finite() {
        return Err("nothing to plot".into());
    }
    let (xmin, xmax) = if xmin == xmax {
        (xmin / 2.0, xmax * 2.0)
    } else {
        (xmin / 1.3, xmax * 1.3)
    };

    // The legend goes to the right of the plot, where it hides no line.
    let root = SVGBackend::new(path, (1200, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "rbee-graph vs cargo and git: median wall time",
            ("sans-serif", 22),
        )
        .margin(15)
        .margin_right(LEGEND_WIDTH)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (xmin..xmax).log_scale(),
            (ymin / 1.5..ymax * 1.5).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("workspace size (crates; 50 source files per crate)")
        .y_desc("median wall time (ms)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| {
            if *y >= 10.0 {
                format!("{y:.0}")
            } else {
                format!("{y:.1}")
            }
        })
        .draw()?;
    let palette = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x8c, 0x56, 0x4b),
        RGBColor(0xe3, 0x77, 0xc2),
        RGBColor(0x17, 0xbe, 0xcf),
        RGBColor(0xbc, 0xbd, 0x22),
        RGBColor(0x7f, 0x7f, 0x7f),
        RGBColor(0x00, 0x00, 0x00),
        RGBColor(0x66, 0x99, 0x00),
        RGBColor(0x00, 0x33, 0x99),
        RGBColor(0x99, 0x00, 0x33),
        RGBColor(0xff, 0xbb, 0x00),
        RGBColor(0x00, 0x99, 0x88),
    ];
    for (i, (_, _, ours, points)) in series.iter().enumerate() {
        let color = palette[i % palette.len()];
        // rbee-graph solid and thick; anchors thin.
        let style = if *ours {
            color.stroke_width(3)
        } else {
            color.stroke_width(1)
        };
        if *ours {
            chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
        } else {
            // Anchors dashed.
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), 7, 4, style))?;
        }
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, if *ours { 4 } else { 3 }, color.filled())),
        )?;
    }
    // The legend, drawn by hand to the right of the plotting area.
    let (width, _) = root.dim_in_pixel();
    let x0 = (width - LEGEND_WIDTH) as i32 + 10;
    for (i, (_, label, ours, _)) in series.iter().enumerate() {
        let color = palette[i % palette.len()];
        let y = 60 + 22 * i as i32;
        let style = color.stroke_width(if *ours { 3 } else { 1 });
        if *ours {
            root.draw(&PathElement::new(vec![(x0, y), (x0 + 28, y)], style))?;
        } else {
            for x in [x0, x0 + 11, x0 + 22] {
                root.draw(&PathElement::new(vec![(x, y), (x + 6, y)], style))?;
            }
        }
        root.draw(&Circle::new((x0 + 14, y), 3, color.filled()))?;
        let text = if *ours {
            label.clone()
        } else {
            format!("anchor: {label}")
        };
        root.draw(&Text::new(text, (x0 + 36, y - 7), ("sans-serif", 14)))?;
    }
    root.present()?;
    Ok(())
}
