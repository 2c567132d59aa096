//! `rbee-graph doctor`: the paths that make commits affect every binary, and a configuration
//! snippet backed by what the builds read.

use rbee_graph_testdata::Repo;

use crate::util::run;

#[test]
fn the_doctor_suggests_ignore_and_owners_from_what_the_builds_read() {
    let repo = Repo::from_fixture("rbee");
    run(&repo, &["build"]).success();
    for i in 0..3 {
        repo.write("frontend/app/main.ts", &format!("export const n = {i};\n"));
        repo.commit(&format!("frontend {i}"));
    }
    repo.append("shared/prompts.txt", "one more prompt\n");
    repo.commit("prompts");
    repo.append("libs/narration-core/src/lib.rs", "\n// touched\n");
    repo.commit("a source edit");

    let text = run(&repo, &["doctor", "--commits", "5"])
        .success()
        .to_owned();
    assert!(
        text.starts_with("last 5 commits: 4 (80%) affect every binary"),
        "{text}"
    );
    let frontend = text
        .lines()
        .find(|l| l.trim_start().starts_with("frontend/**"))
        .unwrap_or_else(|| panic!("a line for frontend/**:\n{text}"));
    assert!(
        frontend.contains("3 commits") && frontend.contains("no recorded build read"),
        "{frontend}"
    );
    let shared = text
        .lines()
        .find(|l| l.trim_start().starts_with("shared/**"))
        .unwrap_or_else(|| panic!("a line for shared/**:\n{text}"));
    assert!(shared.contains("llm-worker-rbee"), "{shared}");
    assert!(
        text.contains("0 of the 5 commits (0%) would affect every binary"),
        "{text}"
    );
    assert!(text.contains("ignore = [\"frontend/**\"]"), "{text}");
    assert!(
        text.contains("owners = { \"shared/**\" = [\"llm-worker-rbee\"] }"),
        "{text}"
    );

    let v = run(&repo, &["doctor", "--commits", "5", "--format", "json"]).json();
    assert_eq!(v["schema"], 1);
    assert_eq!(
        (v["commits"].as_u64(), v["everything"].as_u64()),
        (Some(5), Some(4)),
        "{v:#}"
    );
    assert_eq!(v["everything_after"], 0, "{v:#}");
    assert_eq!(
        v["suggested"]["ignore"],
        serde_json::json!(["frontend/**"]),
        "{v:#}"
    );
    assert_eq!(
        v["suggested"]["owners"],
        serde_json::json!({"shared/**": ["llm-worker-rbee"]}),
        "{v:#}"
    );

    // The snippet, pasted, does what it says.
    repo.append(
        "Cargo.toml",
        "ignore = [\"frontend/**\"]\nowners = { \"shared/**\" = [\"llm-worker-rbee\"] }\n",
    );
    let after = run(&repo, &["doctor", "--commits", "5"])
        .success()
        .to_owned();
    assert!(
        after.starts_with("last 5 commits: 0 (0%) affect every binary"),
        "{after}"
    );
}

#[test]
fn the_doctor_points_at_directories_that_look_like_run_time_test_fixtures() {
    let repo = Repo::from_fixture("rbee");
    repo.write("tests/fixtures/formats/sample.yaml", "a: 1\n");
    repo.commit("a fixture at the root, as nushell keeps them");
    repo.write("libs/job-server/tests/data/jobs.json", "[]\n");
    repo.commit("a fixture of job-server's tests");
    repo.append("tests/fixtures/formats/sample.yaml", "b: 2\n");
    repo.commit("the root fixture again");

    let text = run(&repo, &["doctor", "--commits", "3"])
        .success()
        .to_owned();
    let section = text
        .split_once("directories that look like test fixtures")
        .unwrap_or_else(|| panic!("a fixtures section:\n{text}"))
        .1;
    let lines: Vec<&str> = section.lines().skip(1).map(str::trim).collect();
    assert_eq!(
        lines,
        [
            "tests/fixtures/**              2 commits  outside every package",
            "libs/job-server/tests/data/**  1 commit  in package job-server, whose own tests \
             count for it",
            "if other packages' tests read one, map it for `affected --tests`, for example:",
            "test-owners = { \"tests/fixtures/**\" = [\"PACKAGE\"] }",
        ],
        "{text}"
    );

    // Mapped, a directory is no longer pointed at.
    repo.append(
        "Cargo.toml",
        "test-owners = { \"tests/fixtures/**\" = [\"job-server\"] }\n",
    );
    let v = run(&repo, &["doctor", "--commits", "3", "--format", "json"]).json();
    assert_eq!(
        v["fixtures"],
        serde_json::json!([
            {"glob": "tests/fixtures/**", "commits": 2, "package": null, "readers": null, "mapped": true},
            {"glob": "libs/job-server/tests/data/**", "commits": 1, "package": "job-server", "readers": null, "mapped": false},
        ]),
        "{v:#}"
    );
}
