//! Path rule 2: `Cargo.lock` affects the packages that reach a changed external entry through
//! normal or build dependencies, never "everything" just because its text changed.
//!
//! The rbee fixture locks three crates.io crates: `itoa` (a normal dependency of
//! `narration-core`, so nearly everything reaches it), `cfg-if` (normal, `llm-worker-rbee` only)
//! and `fastrand` (a dev dependency of `job-server` only).
//!
//! Here end to end: one bump, and lock files missing at one end or both, read from git. The
//! other bumps, a checksum alone, a text change without a changed entry and lock and source
//! changes together are in the fast layer, `graph/tests/rules/lockfile.rs`.

use rbee_graph_testdata::Repo;

use crate::util::*;

/// The members that reach `itoa` or `narration-core` through normal or build dependencies.
const REACH_NARRATION: &[&str] = &[
    "narration-core",
    "daemon-lifecycle",
    "job-server",
    "hive-lifecycle",
    "rbee-keeper",
    "queen-rbee",
    "rbee-hive",
    "llm-worker-rbee",
];

#[test]
fn bumping_itoa_affects_every_binary_but_xtask() {
    let repo = Repo::from_fixture("rbee");
    let v = affected_after(&repo, &[], |r| {
        bump_lock_entry(r, "Cargo.lock", "itoa", "1.0.20")
    });
    assert_eq!(changed(&v), ["Cargo.lock"]);
    assert_eq!(bins(&v), all_but_xtask());
    assert_every_reason(&v, "lockfile", Some("itoa"), "Cargo.lock");
    assert_chains_follow(&v, RBEE_EDGES);
    assert_eq!(member_set(&v, RBEE_MEMBERS), names(REACH_NARRATION));
    assert_dependencies_first(&packages(&v), RBEE_EDGES);
}

/// Every external entry changed: `itoa` reaches every binary but xtask, `cfg-if` the worker.
fn assert_every_external_changed(v: &serde_json::Value) {
    assert_eq!(changed(v), ["Cargo.lock"]);
    assert_eq!(bins(v), all_but_xtask());
    assert_every_reason(v, "lockfile", Some("itoa"), "Cargo.lock");
    assert_reason(
        v,
        ("llm-worker-rbee", "llm-worker-rbee"),
        "lockfile",
        Some("cfg-if"),
        "Cargo.lock",
    );
    assert_chains_follow(v, RBEE_EDGES);
    assert_eq!(member_set(v, RBEE_MEMBERS), names(REACH_NARRATION));
}

#[test]
fn lock_removed_at_head_changes_every_external() {
    let repo = Repo::from_fixture("rbee");
    let v = affected_after(&repo, &[], |r| r.remove("Cargo.lock"));
    assert_every_external_changed(&v);
}

#[test]
fn lock_missing_at_base_changes_every_external() {
    let repo = Repo::from_fixture("rbee");
    let lock = repo.read("Cargo.lock");
    repo.remove("Cargo.lock");
    repo.commit("no lock file yet");
    let v = affected_after(&repo, &[], |r| r.write("Cargo.lock", &lock));
    assert_every_external_changed(&v);
}

#[test]
fn no_lock_at_either_end_is_fine() {
    let repo = Repo::from_fixture("rbee");
    repo.remove("Cargo.lock");
    repo.commit("no lock file");
    let v = affected_after(&repo, &[], |r| touch(r, "libs/daemon-lifecycle/src/lib.rs"));
    assert_eq!(changed(&v), ["libs/daemon-lifecycle/src/lib.rs"]);
    assert_eq!(
        bins(&v),
        pairs(&[
            ("rbee-keeper", "rbee-keeper"),
            ("queen-rbee", "queen-rbee"),
            ("rbee-hive", "rbee-hive"),
            ("hive-check", "rbee-hive"),
            ("hive-probe", "rbee-hive"),
        ])
    );
    assert_no_reason_of_kind(&v, "lockfile");
}

#[test]
fn the_cached_graph_follows_a_lock_file_edited_alone() {
    // The graph is cached beside cargo's metadata, keyed on the manifests and the files target
    // discovery looks at; the lock file is not among them, yet the graph's external crates are
    // the lock file's. A cached graph answered after a lock edit would name the old version.
    let repo = Repo::from_fixture("rbee");
    let before = graph_dependencies(&repo, "narration-core");
    assert_eq!(before.len(), 1, "{before:?}");
    assert!(before[0].starts_with("itoa "), "{before:?}");
    assert_ne!(before[0], "itoa 1.0.20");
    bump_lock_entry(&repo, "Cargo.lock", "itoa", "1.0.20");
    assert_eq!(graph_dependencies(&repo, "narration-core"), ["itoa 1.0.20"]);
}
