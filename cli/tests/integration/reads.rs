//! `affected --base` with read maps: what each binary's recorded build read decides for it
//! where the path rules only see paths (see `engine/src/read_map.rs`).

use std::collections::BTreeSet;

use rbee_graph_testdata::Repo;
use serde_json::Value;

use crate::util::{BinPair, bins, run};

const PROMPTS: &str = "shared/prompts.txt";
const HIVE_NOTES: &str = "bin/rbee-hive/notes.txt";
const QUEEN_MAIN: &str = "bin/queen-rbee/src/main.rs";

/// The rbee fixture where queen-rbee also reads a file of rbee-hive's package (which it does
/// not depend on), every binary built through rbee-graph at the last commit.
fn built() -> Repo {
    let repo = Repo::from_fixture("rbee");
    repo.write(HIVE_NOTES, "hive notes\n");
    repo.append(
        QUEEN_MAIN,
        "\n#[allow(dead_code)]\nconst HIVE_NOTES: &str = include_str!(\"../../rbee-hive/notes.txt\");\n",
    );
    repo.commit("queen-rbee reads rbee-hive's notes");
    run(&repo, &["build"]).success();
    repo
}

fn affected(repo: &Repo, extra: &[&str]) -> Value {
    let mut args = vec![
        "affected", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
    ];
    args.extend_from_slice(extra);
    run(repo, &args).json()
}

fn pair(name: &str, package: &str) -> BinPair {
    (name.to_owned(), package.to_owned())
}

fn kinds(v: &Value, name: &str) -> BTreeSet<String> {
    v["affected_binaries"]
        .as_array()
        .expect("binaries")
        .iter()
        .filter(|b| b["name"] == name)
        .flat_map(|b| b["reasons"].as_array().expect("reasons").iter())
        .map(|r| r["kind"].as_str().expect("kind").to_owned())
        .collect()
}

#[test]
fn a_file_outside_every_package_counts_only_for_the_binaries_that_read_it() {
    let repo = built();
    repo.append(PROMPTS, "one more prompt\n");
    repo.commit("edit the prompts");
    let v = affected(&repo, &[]);
    assert_eq!(
        bins(&v),
        BTreeSet::from([pair("llm-worker-rbee", "llm-worker-rbee")]),
        "only the worker's build read {PROMPTS}: {v:#}"
    );
    assert_eq!(
        kinds(&v, "llm-worker-rbee"),
        BTreeSet::from(["read".to_owned()])
    );
    assert_eq!(v["read_maps"]["untrusted"], serde_json::json!([]), "{v:#}");

    let rules_only = affected(&repo, &["--no-read-maps"]);
    assert_eq!(
        bins(&rules_only).len(),
        crate::util::RBEE_BINS.len(),
        "without read maps an unowned path counts for every binary: {rules_only:#}"
    );
    let text = run(
        &repo,
        &[
            "affected",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--no-read-maps",
        ],
    );
    assert!(
        text.success().contains("no read maps"),
        "the text says so, with the remedy: {text:#?}"
    );
}

#[test]
fn a_file_of_another_package_that_a_binary_read_counts_for_it() {
    let repo = built();
    repo.write(HIVE_NOTES, "hive notes, edited\n");
    repo.commit("edit the hive's notes");
    let v = affected(&repo, &[]);
    let got = bins(&v);
    assert!(
        got.contains(&pair("queen-rbee", "queen-rbee")),
        "queen-rbee's build read {HIVE_NOTES}: {v:#}"
    );
    assert!(
        got.contains(&pair("rbee-hive", "rbee-hive")),
        "the package rule still holds: {v:#}"
    );
    assert!(kinds(&v, "queen-rbee").contains("read"), "{v:#}");
    let rules_only = affected(&repo, &["--no-read-maps"]);
    assert!(
        !bins(&rules_only).contains(&pair("queen-rbee", "queen-rbee")),
        "the rules alone miss the read across packages: {rules_only:#}"
    );
}

#[test]
fn a_map_older_than_a_change_in_its_scope_falls_back_to_the_rules() {
    let repo = built();
    // queen-rbee's own source changes after its build: its map may no longer say what it
    // reads at the base.
    repo.append(QUEEN_MAIN, "\n// changed after the build\n");
    repo.commit("queen-rbee changes");
    repo.append(PROMPTS, "one more prompt\n");
    repo.commit("edit the prompts");
    let v = affected(&repo, &[]);
    assert_eq!(
        v["read_maps"]["untrusted"],
        serde_json::json!([{"name": "queen-rbee", "package": "queen-rbee"}]),
        "{v:#}"
    );
    assert_eq!(
        bins(&v),
        BTreeSet::from([
            pair("llm-worker-rbee", "llm-worker-rbee"),
            pair("queen-rbee", "queen-rbee"),
        ]),
        "the worker read it; queen-rbee's map is not trusted, so the unowned rule counts for \
         it; the others' maps say they did not read it: {v:#}"
    );
    assert_eq!(
        kinds(&v, "queen-rbee"),
        BTreeSet::from(["unowned".to_owned()])
    );
}

#[test]
fn a_read_map_written_after_a_build_serves_a_later_run_without_records() {
    let repo = built();
    let maps = run(&repo, &["reads"]).json();
    assert_eq!(maps["schema"], 1, "{maps:#}");
    let file = repo.root().parent().expect("a parent").join("reads.json");
    std::fs::write(&file, serde_json::to_vec(&maps).expect("JSON")).expect("write the map");
    std::fs::remove_dir_all(repo.workspace().join("target/rbee-graph/records"))
        .expect("forget the records");
    repo.append(PROMPTS, "one more prompt\n");
    repo.commit("edit the prompts");
    let without = affected(&repo, &[]);
    assert!(without.get("read_maps").is_none(), "{without:#}");
    let with = affected(&repo, &["--reads", file.to_str().expect("UTF-8")]);
    assert_eq!(
        bins(&with),
        BTreeSet::from([pair("llm-worker-rbee", "llm-worker-rbee")]),
        "{with:#}"
    );
}

#[test]
fn a_read_map_that_is_not_one_is_bad_input() {
    let repo = Repo::from_fixture("rbee");
    let file = repo
        .root()
        .parent()
        .expect("a parent")
        .join("not-a-map.json");
    std::fs::write(&file, "garbage").expect("write");
    for path in [file.clone(), file.with_file_name("missing.json")] {
        let run = run(
            &repo,
            &[
                "affected",
                "--base",
                "HEAD",
                "--reads",
                path.to_str().expect("UTF-8"),
            ],
        );
        crate::util::assert_bad_input(&run);
        assert!(run.stderr.contains("rbee-graph reads"), "{run:#?}");
    }
}

#[test]
fn with_tests_a_file_a_test_target_read_counts_for_its_package() {
    // queen-rbee's integration test reads a file of build-info's package, which queen-rbee does
    // not depend on. Test targets have no build records: cargo's dep-info of the test build
    // says what they read.
    let repo = Repo::from_fixture("rbee");
    let data = "libs/build-info/data.txt";
    repo.write(data, "v1\n");
    repo.write(
        "bin/queen-rbee/tests/reads_build_info.rs",
        "#[test]\nfn reads() {\n    assert!(!include_str!(\"../../../libs/build-info/data.txt\").is_empty());\n}\n",
    );
    // An example of job-server's reads it too (cargo test builds examples; their dep-info
    // is beside them), and hive-lifecycle's build script watches it (`rerun-if-changed`).
    repo.write(
        "libs/job-server/examples/peek.rs",
        "fn main() {\n    print!(\"{}\", include_str!(\"../../build-info/data.txt\"));\n}\n",
    );
    repo.write(
        "libs/hive-lifecycle/build.rs",
        "fn main() {\n    println!(\"cargo:rerun-if-changed=../build-info/data.txt\");\n}\n",
    );
    repo.commit("queen-rbee's test reads build-info's data");
    let out = crate::util::command(crate::util::real_cargo(), &repo)
        .args([
            "test",
            "--no-run",
            "-p",
            "queen-rbee",
            "-p",
            "job-server",
            "-p",
            "hive-lifecycle",
        ])
        .current_dir(repo.workspace())
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo test --no-run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    repo.write(data, "v2\n");
    repo.commit("edit build-info's data");

    let packages = |extra: &[&str]| -> BTreeSet<String> {
        let mut args = vec!["--tests"];
        args.extend_from_slice(extra);
        crate::util::package_set(&affected(&repo, &args))
    };
    let with = packages(&[]);
    assert!(
        with.contains("queen-rbee"),
        "queen-rbee's test read {data}: {with:?}"
    );
    assert!(
        with.contains("build-info"),
        "the package rule still holds: {with:?}"
    );
    assert!(
        with.contains("job-server"),
        "its example read {data}: {with:?}"
    );
    assert!(
        with.contains("hive-lifecycle"),
        "its build script watches {data}: {with:?}"
    );
    let rules_only = packages(&["--no-read-maps"]);
    for reader in ["queen-rbee", "job-server", "hive-lifecycle"] {
        assert!(
            !rules_only.contains(reader),
            "the rules alone miss {reader}'s read across packages: {rules_only:?}"
        );
    }
}
