//! Path rule 2 on the rbee fixture: `Cargo.lock` affects the packages that reach a changed
//! external entry through normal or build dependencies, never "everything" just because its
//! text changed.
//!
//! The fixture locks three crates.io crates: `itoa` (a normal dependency of `narration-core`,
//! so nearly everything reaches it), `cfg-if` (normal, `llm-worker-rbee` only) and `fastrand`
//! (a dev dependency of `job-server` only). The head's lock file is the fixture's, edited; the
//! changed entries are what the lock diff finds, as in `affected --base`.

use rbee_graph_model::rules::Mode;

use crate::common::{Case, RBEE, bump, check};

/// The fixture's lock file with `edit` applied, as the head's.
fn lock_edited(edit: impl FnOnce(&str) -> String, mode: Mode, expect: &str) {
    check(
        Case {
            paths: &["Cargo.lock"],
            head_lock: Some(edit(RBEE.lock)),
            mode,
            ..Case::default()
        },
        expect,
    );
}

#[test]
fn bumping_itoa_affects_every_binary_but_xtask() {
    lock_edited(|lock| bump(lock, "itoa", "1.0.20"), Mode::Binaries, "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): lockfile itoa via itoa -> narration-core -> rbee-hive
hive-probe (rbee-hive): lockfile itoa via itoa -> narration-core -> rbee-hive
rbee-keeper: lockfile itoa via itoa -> narration-core -> rbee-keeper
queen-rbee: lockfile itoa via itoa -> narration-core -> queen-rbee
rbee-hive: lockfile itoa via itoa -> narration-core -> rbee-hive
llm-worker-rbee: lockfile itoa via itoa -> narration-core -> llm-worker-rbee
");
}

#[test]
fn bumping_cfg_if_affects_only_the_worker() {
    lock_edited(
        |lock| bump(lock, "cfg-if", "1.0.4"),
        Mode::Binaries,
        "
packages: llm-worker-rbee
llm-worker-rbee: lockfile cfg-if via cfg-if -> llm-worker-rbee
",
    );
}

#[test]
fn bumping_a_dev_only_crate_affects_no_binary_but_its_dependents_tests() {
    lock_edited(|lock| bump(lock, "fastrand", "2.3.0"), Mode::Binaries, "");
    // --tests does not change which binaries are affected.
    lock_edited(
        |lock| bump(lock, "fastrand", "2.3.0"),
        Mode::Tests,
        "packages: job-server",
    );
}

#[test]
fn a_changed_lock_entry_reaches_the_binaries_that_use_the_crate() {
    // The entries as the caller found them, without a lock diff.
    check(
        Case {
            lock_entries: &["fastrand"],
            mode: Mode::Tests,
            ..Case::default()
        },
        "packages: job-server",
    );
    check(
        Case {
            lock_entries: &["fastrand"],
            ..Case::default()
        },
        "",
    );
    check(
        Case {
            lock_entries: &["itoa", "cfg-if"],
            ..Case::default()
        },
        "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): lockfile itoa via itoa -> narration-core -> rbee-hive
hive-probe (rbee-hive): lockfile itoa via itoa -> narration-core -> rbee-hive
rbee-keeper: lockfile itoa via itoa -> narration-core -> rbee-keeper
queen-rbee: lockfile itoa via itoa -> narration-core -> queen-rbee
rbee-hive: lockfile itoa via itoa -> narration-core -> rbee-hive
llm-worker-rbee: lockfile cfg-if via cfg-if -> llm-worker-rbee; lockfile itoa via itoa -> narration-core -> llm-worker-rbee
",
    );
}

#[test]
fn a_changed_checksum_alone_counts() {
    let checksum = |lock: &str| {
        let old = "4e7648175b45a9a48536d676f68d918270699102aa8dab5496df06904c914600";
        assert_eq!(lock.matches(old).count(), 1, "cfg-if's checksum");
        lock.replace(old, &format!("{}1", &old[..old.len() - 1]))
    };
    lock_edited(
        checksum,
        Mode::Binaries,
        "
packages: llm-worker-rbee
llm-worker-rbee: lockfile cfg-if via cfg-if -> llm-worker-rbee
",
    );
}

#[test]
fn lock_text_change_without_a_changed_entry_affects_nothing() {
    lock_edited(
        |lock| format!("{lock}# a comment, no entry changed\n"),
        Mode::Binaries,
        "",
    );
}

#[test]
fn lock_and_source_changes_together() {
    check(
        Case {
            paths: &["Cargo.lock", "bin/queen-rbee/src/main.rs"],
            head_lock: Some(bump(RBEE.lock, "cfg-if", "1.0.4")),
            ..Case::default()
        },
        "
packages: llm-worker-rbee queen-rbee
llm-worker-rbee: lockfile cfg-if via cfg-if -> llm-worker-rbee
queen-rbee: path bin/queen-rbee/src/main.rs
",
    );
}

/// Read maps for every binary but queen-rbee, each listing the lock file and a manifest (cargo
/// reads them for every build), with the external crates each build compiled; queen-rbee's
/// map does not say which (a record from before they were kept).
fn maps_with_externals() -> rbee_graph_model::rules::TrustedReads {
    use std::collections::BTreeSet;
    let mut reads = rbee_graph_model::rules::TrustedReads::default();
    let compiled = [
        ("rbee-keeper", "rbee-keeper", &[][..]),
        ("rbee-hive", "rbee-hive", &["itoa 1.0.19"][..]),
        ("hive-check", "rbee-hive", &["itoa 1.0.19"][..]),
        ("hive-probe", "rbee-hive", &["itoa 1.0.19"][..]),
        (
            "llm-worker-rbee",
            "llm-worker-rbee",
            &["itoa 1.0.19", "cfg-if 1.0.5"][..],
        ),
        ("queen-rbee", "queen-rbee", &[][..]),
        ("xtask", "xtask", &[][..]),
    ];
    for (name, package, externals) in compiled {
        let binary = rbee_graph_model::Binary {
            name: name.to_owned(),
            package: package.to_owned(),
        };
        let read = ["Cargo.lock", "libs/narration-core/Cargo.toml"].map(str::to_owned);
        reads.trusted.insert(binary.clone(), BTreeSet::from(read));
        if name != "queen-rbee" {
            let externals = externals.iter().map(|e| (*e).to_owned()).collect();
            reads.externals.insert(binary, externals);
        }
    }
    reads
}

#[test]
fn a_lock_entry_counts_only_for_binaries_whose_builds_compiled_it() {
    // rbee-keeper's build compiled no itoa (as if no enabled feature turned it on); queen-rbee's
    // map does not say, so the rule stays as it is for it. The lock file itself, which every
    // map lists, is no "read".
    check(
        Case {
            paths: &["Cargo.lock"],
            head_lock: Some(bump(RBEE.lock, "itoa", "1.0.20")),
            reads: Some(maps_with_externals()),
            ..Case::default()
        },
        "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
queen-rbee: lockfile itoa via itoa -> narration-core -> queen-rbee
hive-check (rbee-hive): lockfile itoa via itoa -> narration-core -> rbee-hive
hive-probe (rbee-hive): lockfile itoa via itoa -> narration-core -> rbee-hive
rbee-hive: lockfile itoa via itoa -> narration-core -> rbee-hive
llm-worker-rbee: lockfile itoa via itoa -> narration-core -> llm-worker-rbee
",
    );
}

#[test]
fn a_manifest_every_build_reads_counts_by_its_own_rule() {
    check(
        Case {
            paths: &["libs/narration-core/Cargo.toml"],
            reads: Some(maps_with_externals()),
            ..Case::default()
        },
        "
packages: narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper
hive-check (rbee-hive): dependency libs/narration-core/Cargo.toml via narration-core -> rbee-hive
hive-probe (rbee-hive): dependency libs/narration-core/Cargo.toml via narration-core -> rbee-hive
rbee-keeper: dependency libs/narration-core/Cargo.toml via narration-core -> rbee-keeper
queen-rbee: dependency libs/narration-core/Cargo.toml via narration-core -> queen-rbee
rbee-hive: dependency libs/narration-core/Cargo.toml via narration-core -> rbee-hive
llm-worker-rbee: dependency libs/narration-core/Cargo.toml via narration-core -> llm-worker-rbee
",
    );
}
