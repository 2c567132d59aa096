//! `generate --crates N --files F --out DIR [--build] [--rbee-graph PATH]`: writes a generated
//! workspace (see `rbee_graph_bench`) into DIR, commits it, and with `--build` runs
//! `rbee-graph build` once for the root of its spawn cascade.

use std::path::PathBuf;
use std::process::ExitCode;

use rbee_graph_bench::{Spec, build_once, default_rbee_graph, generate};

const USAGE: &str = "usage: generate --crates N --files F --out DIR [--build] [--rbee-graph PATH]

Writes a layered Cargo workspace of N crates and F .rs files into DIR (which must not exist or be
empty), generates its Cargo.lock (offline) and commits it into a git repository (two commits).
With --build, runs `rbee-graph build app-0` there once, so a build record and dep-info exist.
--rbee-graph defaults to <target>/release/rbee-graph next to this program.";

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<(), String> {
    let mut crates = None;
    let mut files = None;
    let mut out = None;
    let mut build = false;
    let mut rbee_graph = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--crates" => crates = Some(parse(&value("--crates")?)?),
            "--files" => files = Some(parse(&value("--files")?)?),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--rbee-graph" => rbee_graph = Some(PathBuf::from(value("--rbee-graph")?)),
            "--build" => build = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let (Some(crates), Some(files), Some(out)) = (crates, files, out) else {
        return Err(format!("--crates, --files and --out are required\n{USAGE}"));
    };
    let spec = Spec { crates, files };
    let generated = generate(&spec, &out).map_err(|e| e.to_string())?;
    eprintln!(
        "generated {} crates, {} files in {} ({:.1} s); benchmarked binary: {}",
        crates,
        generated.rs_files.len(),
        generated.root.display(),
        generated.elapsed.as_secs_f64(),
        generated.bench_bin
    );
    if build {
        let rbee_graph = rbee_graph.unwrap_or_else(default_rbee_graph);
        if !rbee_graph.is_file() {
            return Err(format!(
                "no rbee-graph at {} (run `cargo build --release -p rbee-graph`, or pass \
                 --rbee-graph PATH)",
                rbee_graph.display()
            ));
        }
        let took = build_once(&generated, &rbee_graph).map_err(|e| e.to_string())?;
        eprintln!(
            "built {} with {} ({:.1} s)",
            generated.bench_bin,
            rbee_graph.display(),
            took.as_secs_f64()
        );
    }
    Ok(())
}

fn parse(s: &str) -> Result<usize, String> {
    s.replace(['_', ','], "")
        .parse()
        .map_err(|_| format!("not a number: {s:?}"))
}
