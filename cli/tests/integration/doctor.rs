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
