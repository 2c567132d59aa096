//! The text output, compared in full: each command's whole output against a snapshot under
//! `cli/tests/integration/snapshots/`, and the README's examples (its `$ rbee-graph` lines and
//! its Mermaid picture) against what the binary prints on the fixture they came from.
//!
//! Before comparing, the temporary repository root becomes `[ROOT]` and commit ids (full, or the
//! ten characters the text output shows) become `<SUBJECT>`, the subject of the commit, so
//! `built from <initial>` reads as what it is. The README's ids become `<commit>`, on both sides.
//! Cargo's own progress lines (`Compiling ...`, `Finished ...`) are dropped from a build's
//! standard error; what rbee-graph says there is kept.
//!
//! After a deliberate change to the output, regenerate the snapshots with
//!
//! ```sh
//! RBEE_GRAPH_BLESS=1 cargo test -p rbee-graph --test integration snapshots
//! ```
//!
//! and review the diff. The README is never rewritten: a README example that no longer matches
//! fails until its text is fixed by hand.

use std::path::{Path, PathBuf};

use rbee_graph_testdata::Repo;

use crate::util::{BIN, Run, output, run};

// ---------------------------------------------------------------------------------------------
// Redaction and comparison.

/// `text` with the repository root, commit ids and durations redacted (see the module docs).
fn redact(repo: &Repo, text: &str) -> String {
    let mut text = text.replace(&repo.root().display().to_string(), "[ROOT]");
    let log = repo.git(&["log", "--all", "--format=%H %s"]);
    for line in log.lines() {
        let (id, subject) = line.split_once(' ').unwrap_or((line, ""));
        let label = format!("<{subject}>");
        text = text.replace(id, &label).replace(&id[..10], &label);
    }
    redact_durations(&text)
}

/// `text` with every hexadecimal word of 10 or 40 characters (a commit id, as the README shows
/// them) replaced by `<commit>`, and durations redacted.
fn redact_ids(text: &str) -> String {
    let words = split_words(text, |c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    let mut out = String::new();
    for (word, is_word) in words {
        let id = is_word
            && matches!(word.len(), 10 | 40)
            && word.bytes().any(|b| b.is_ascii_alphabetic());
        out.push_str(if id { "<commit>" } else { word });
    }
    redact_durations(&out)
}

/// `text` with durations (`1.2s`, `350ms`, `4µs`) replaced by `[TIME]`.
fn redact_durations(text: &str) -> String {
    let words = split_words(text, |c| c.is_alphanumeric() || c == '.');
    let mut out = String::new();
    for (word, is_word) in words {
        let number = word.trim_end_matches(|c: char| c.is_alphabetic());
        let unit = &word[number.len()..];
        let duration = is_word
            && matches!(unit, "s" | "ms" | "µs" | "ns")
            && number.starts_with(|c: char| c.is_ascii_digit())
            && number.chars().all(|c| c.is_ascii_digit() || c == '.');
        out.push_str(if duration { "[TIME]" } else { word });
    }
    out
}

/// `text` cut into maximal runs of characters that are `part` of a word (`true`) and runs of
/// others (`false`), in order.
fn split_words(text: &str, part: impl Fn(char) -> bool) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_word = None;
    for (i, c) in text.char_indices() {
        let p = part(c);
        if in_word != Some(p) {
            if let Some(was) = in_word {
                out.push((&text[start..i], was));
            }
            start = i;
            in_word = Some(p);
        }
    }
    if let Some(was) = in_word {
        out.push((&text[start..], was));
    }
    out
}

/// Cargo's progress lines, which a build prints on standard error between rbee-graph's lines.
fn is_cargo_progress(line: &str) -> bool {
    let word = line.trim_start().split(' ').next().unwrap_or("");
    line.starts_with("   ")
        && matches!(
            word,
            "Compiling" | "Finished" | "Blocking" | "Locking" | "Updating" | "Checking" | "Fresh"
        )
}

fn snapshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integration/snapshots")
        .join(format!("{name}.txt"))
}

/// Compares `actual` with the snapshot `name`, or writes it with `RBEE_GRAPH_BLESS=1`.
fn check(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if std::env::var_os("RBEE_GRAPH_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create snapshots/");
        std::fs::write(&path, actual).expect("write the snapshot");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "no snapshot {} ({e}); write it with RBEE_GRAPH_BLESS=1",
            path.display()
        )
    });
    assert!(
        actual == expected,
        "the output differs from the snapshot {}; if the change is meant, regenerate it with \
         `RBEE_GRAPH_BLESS=1 cargo test -p rbee-graph --test integration snapshots` and review \
         the diff\n{}",
        path.display(),
        diff(&expected, actual)
    );
}

/// A line diff good enough for short outputs: `-` expected, `+` actual, ` ` both.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // Longest common subsequence, by dynamic programming (outputs are a few dozen lines).
    let mut lcs = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            out.push_str(&format!(" {}\n", e[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < e.len() && (j == a.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("-{}\n", e[i]));
            i += 1;
        } else {
            out.push_str(&format!("+{}\n", a[j]));
            j += 1;
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("(the final newline differs)\n");
    }
    out
}

/// Runs `rbee-graph ARGS` in the workspace of `repo`; asserts it succeeded with nothing on
/// standard error (stderr is a pipe: warnings and errors only); returns standard output.
fn stdout_only(repo: &Repo, args: &[&str]) -> String {
    let out = run(repo, args);
    out.success();
    assert_eq!(
        out.stderr, "",
        "rbee-graph {args:?} wrote to stderr: {out:#?}"
    );
    out.stdout
}

/// `rbee-graph build ARGS`: what rbee-graph says on standard error, without cargo's progress.
fn build_summary(repo: &Repo, args: &[&str]) -> String {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    let out = run(repo, &all);
    out.success();
    assert_eq!(out.stdout, "", "build prints nothing on stdout: {out:#?}");
    out.stderr
        .lines()
        .filter(|l| !is_cargo_progress(l))
        .map(|l| format!("{l}\n"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The README's examples.

/// One `$ command` of a README example block, and the lines it prints.
#[derive(Debug)]
struct Example {
    /// `VAR=value` words before `rbee-graph`.
    env: Vec<(String, String)>,
    /// The words after `rbee-graph`, without a trailing `# comment`.
    args: Vec<String>,
    output: Vec<String>,
    /// The block shows only the first lines (it ends with `...`).
    truncated: bool,
}

/// Every `$ rbee-graph ...` of README.md's code blocks, with the lines up to the next `$` line
/// or the end of the block.
fn readme_examples() -> Vec<Example> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("read README.md");
    let mut examples: Vec<Example> = Vec::new();
    let (mut in_block, mut current): (bool, Option<Example>) = (false, None);
    for line in readme.lines() {
        if line.starts_with("```") {
            examples.extend(current.take());
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            examples.extend(current.take());
            let cmd = cmd.split(" # ").next().unwrap_or(cmd);
            let mut words = cmd.split_whitespace();
            let mut env = Vec::new();
            let mut program = None;
            for word in words.by_ref() {
                match word.split_once('=') {
                    Some((k, v)) if program.is_none() => env.push((k.to_owned(), v.to_owned())),
                    _ => {
                        program = Some(word);
                        break;
                    }
                }
            }
            if program == Some("rbee-graph") {
                current = Some(Example {
                    env,
                    args: words.map(str::to_owned).collect(),
                    output: Vec::new(),
                    truncated: false,
                });
            }
        } else if let Some(example) = &mut current {
            if line == "..." {
                example.truncated = true;
            } else if line.starts_with('#') {
                // A comment between commands (`# ... edit ...`).
            } else {
                example.output.push(line.to_owned());
            }
        }
    }
    examples
}

/// The README example `rbee-graph COMMAND` (exactly one must exist).
fn readme_example(command: &str) -> Example {
    let mut found: Vec<Example> = readme_examples()
        .into_iter()
        .filter(|e| {
            let mut words: Vec<String> = e.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            words.push("rbee-graph".to_owned());
            words.extend(e.args.iter().cloned());
            words.join(" ") == command
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "README.md must show `$ {command}` exactly once: {found:#?}"
    );
    found.remove(0)
}

/// Runs the README example `command` in the workspace of `repo` and asserts it prints exactly
/// the README's lines (its first lines, when the README cuts the output with `...`), ids
/// redacted on both sides and the README's `/home/me/rbee` standing for the repository root.
fn check_readme(repo: &Repo, command: &str) {
    let example = readme_example(command);
    let args: Vec<&str> = example.args.iter().map(String::as_str).collect();
    let mut cmd = crate::util::command(BIN, repo);
    cmd.args(&args).current_dir(repo.workspace());
    for (k, v) in &example.env {
        cmd.env(k, v);
    }
    let out: Run = output(&mut cmd);
    out.success();
    assert_eq!(out.stderr, "", "`{command}` wrote to stderr: {out:#?}");
    let actual = redact_ids(
        &out.stdout
            .replace(&repo.root().display().to_string(), "[ROOT]"),
    );
    let actual: Vec<&str> = actual.lines().collect();
    let expected: Vec<String> = example
        .output
        .iter()
        .map(|l| redact_ids(&l.replace("/home/me/rbee", "[ROOT]")))
        .collect();
    let shown = if example.truncated {
        assert!(
            actual.len() > expected.len(),
            "README.md cuts the output of `{command}` with `...`, but nothing follows:\n{}",
            actual.join("\n")
        );
        &actual[..expected.len()]
    } else {
        &actual[..]
    };
    assert!(
        shown == expected,
        "README.md's example `$ {command}` is not what the binary prints{}:\n{}",
        if example.truncated {
            " (first lines)"
        } else {
            ""
        },
        diff(&(expected.join("\n") + "\n"), &(shown.join("\n") + "\n"))
    );
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn redaction() {
    assert_eq!(
        redact_ids("3ddd497587..working tree, built from 0123456789abcdef0123456789abcdef01234567"),
        "<commit>..working tree, built from <commit>"
    );
    // Not ids: a word with an uppercase letter, one of 9 characters, one of digits only.
    assert_eq!(
        redact_ids("3DDD497587 3ddd49758 1234567890"),
        "3DDD497587 3ddd49758 1234567890"
    );
    assert_eq!(
        redact_durations("took 1.25s (350ms, 4µs) in 3 steps, v1.2 s3"),
        "took [TIME] ([TIME], [TIME]) in 3 steps, v1.2 s3"
    );
    assert!(is_cargo_progress("   Compiling itoa v1.0.15"));
    assert!(is_cargo_progress(
        "    Finished `dev` profile [unoptimized] target(s) in 4.56s"
    ));
    assert!(!is_cargo_progress("built rbee-keeper (0 fresh already)"));
    assert_eq!(diff("a\nb\n", "a\nc\n"), " a\n-b\n+c\n");
}

/// `why`, on the fixture as committed: the README's four examples, every line.
#[test]
fn readme_why_examples() {
    let repo = Repo::from_fixture("rbee");
    for path in [
        "libs/narration-core/src/lib.rs",
        "bin/rbee-hive/src/bin/hive-check.rs",
        "libs/narration-core/tests/narration.rs",
        "docs/guide.md",
    ] {
        check_readme(&repo, &format!("rbee-graph why {path}"));
    }
    // Paths the README does not show: a lock file, a path outside every package, a manifest.
    let mut text = String::new();
    for path in [
        "Cargo.lock",
        "shared/prompts.txt",
        "Cargo.toml",
        "xtask/src/main.rs",
    ] {
        text.push_str(&format!("$ rbee-graph why {path}\n"));
        text.push_str(&stdout_only(&repo, &["why", path]));
    }
    check("why", &redact(&repo, &text));
}

/// The README's Mermaid picture of the fixture after an edit of `narration-core`: the whole
/// block, as `graph --format mermaid --only-affected --base HEAD` prints it.
#[test]
fn readme_mermaid_example() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("read README.md");
    let intro =
        "(`rbee-graph graph --format mermaid --only-affected --base HEAD`):\n\n```mermaid\n";
    let start = readme
        .find(intro)
        .unwrap_or_else(|| panic!("README.md introduces a Mermaid example with {intro:?}"))
        + intro.len();
    let end = start + readme[start..].find("```\n").expect("the block ends");
    let expected = redact_ids(&readme[start..end]);

    let repo = Repo::from_fixture("rbee");
    repo.append("libs/narration-core/src/lib.rs", "// touched\n");
    let args = [
        "graph",
        "--format",
        "mermaid",
        "--only-affected",
        "--base",
        "HEAD",
    ];
    let actual = redact_ids(&stdout_only(&repo, &args));
    assert!(
        actual == expected,
        "README.md's Mermaid example is not what `rbee-graph {}` prints:\n{}",
        args.join(" "),
        diff(&expected, &actual)
    );
}

/// `affected --base HEAD` on a fresh clone with one uncommitted edit (the README's example),
/// and `affected --base HEAD~1 --head HEAD` after committing it, in full.
#[test]
fn affected_against_a_base() {
    let repo = Repo::from_fixture("rbee");
    repo.append("libs/narration-core/src/lib.rs", "// touched\n");
    check_readme(&repo, "rbee-graph affected --base HEAD");
    let mut text = String::from("$ rbee-graph affected --base HEAD\n");
    text.push_str(&stdout_only(&repo, &["affected", "--base", "HEAD"]));
    repo.commit("narration edit");
    repo.append("bin/rbee-hive/src/bin/hive-check.rs", "// touched\n");
    repo.commit("hive-check edit");
    text.push_str("$ rbee-graph affected --base HEAD~1 --head HEAD\n");
    text.push_str(&stdout_only(
        &repo,
        &["affected", "--base", "HEAD~1", "--head", "HEAD"],
    ));
    text.push_str("$ rbee-graph affected --base HEAD~2 --head HEAD --tests\n");
    text.push_str(&stdout_only(
        &repo,
        &["affected", "--base", "HEAD~2", "--head", "HEAD", "--tests"],
    ));
    check("affected-base", &redact(&repo, &text));
}

/// One built fixture, then edits: the build summaries, `status`, `affected` (local mode),
/// `explain` in both modes and `ensure`, as the README shows them and in full; then `doctor`
/// over the history made on top.
#[test]
fn a_built_workspace_explains_itself() {
    let repo = Repo::from_fixture("rbee");
    let mut text = String::from("$ rbee-graph build\n");
    text.push_str(&build_summary(&repo, &[]));
    text.push_str("$ rbee-graph status\n");
    text.push_str(&stdout_only(&repo, &["status"]));
    check_readme(&repo, "rbee-graph ensure queen-rbee");

    for rel in [
        "bin/queen-rbee/src/main.rs",
        "libs/narration-core/src/fmt.rs",
        "libs/narration-core/src/lib.rs",
    ] {
        repo.append(rel, "// touched\n");
    }
    check_readme(&repo, "rbee-graph explain queen-rbee");
    check_readme(&repo, "RUSTFLAGS=-g rbee-graph explain xtask");
    check_readme(&repo, "rbee-graph explain xtask");
    check_readme(&repo, "rbee-graph explain rbee-keeper --base HEAD");
    for args in [
        &["status"][..],
        &["affected"],
        &["explain", "queen-rbee"],
        &["explain", "hive-check"],
        &["explain", "rbee-keeper", "--base", "HEAD"],
    ] {
        text.push_str(&format!("$ rbee-graph {}\n", args.join(" ")));
        text.push_str(&stdout_only(&repo, args));
    }
    text.push_str("$ rbee-graph build rbee-keeper\n");
    text.push_str(&build_summary(&repo, &["rbee-keeper"]));
    text.push_str("$ rbee-graph status\n");
    text.push_str(&stdout_only(&repo, &["status"]));
    text.push_str("$ rbee-graph build\n");
    text.push_str(&build_summary(&repo, &[]));
    text.push_str("$ rbee-graph build\n");
    text.push_str(&build_summary(&repo, &[]));
    check("built", &redact(&repo, &text));

    // History for the doctor: commits outside every package and one source edit.
    repo.commit("edits");
    for i in 0..2 {
        repo.write("frontend/app/main.ts", &format!("export const n = {i};\n"));
        repo.commit(&format!("frontend {i}"));
    }
    repo.append("shared/prompts.txt", "one more prompt\n");
    repo.commit("prompts");
    let doctor = stdout_only(&repo, &["doctor", "--commits", "4"]);
    check(
        "doctor",
        &redact(&repo, &format!("$ rbee-graph doctor --commits 4\n{doctor}")),
    );
}

/// The README's `status` example: after an edit to `narration-core`, only `rbee-keeper` was
/// rebuilt.
#[test]
fn readme_status_example() {
    let repo = Repo::from_fixture("rbee");
    run(&repo, &["build"]).success();
    repo.append("libs/narration-core/src/lib.rs", "// touched\n");
    run(&repo, &["build", "rbee-keeper"]).success();
    check_readme(&repo, "rbee-graph status");
}

/// `doctor` on a fixture nobody built: no read maps, so the snippet is unverified.
#[test]
fn doctor_without_read_maps() {
    let repo = Repo::from_fixture("rbee");
    repo.append("shared/prompts.txt", "one more prompt\n");
    repo.commit("prompts");
    repo.append("README.md", "more\n");
    repo.append("bin/queen-rbee/src/main.rs", "// touched\n");
    repo.commit("queen edit");
    let text = stdout_only(&repo, &["doctor", "--commits", "2"]);
    check(
        "doctor-unbuilt",
        &redact(&repo, &format!("$ rbee-graph doctor --commits 2\n{text}")),
    );
}
