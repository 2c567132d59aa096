//! Path rule 1 on the rbee fixture: the files every build reads affect every binary.

use crate::common::{Case, check};

/// Every binary of the fixture, each for the global `path`.
fn everything(path: &str) -> String {
    let packages = "packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server \
                    llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask";
    let bins = [
        "hive-check (rbee-hive)",
        "hive-probe (rbee-hive)",
        "rbee-keeper",
        "queen-rbee",
        "rbee-hive",
        "llm-worker-rbee",
        "xtask",
    ];
    let lines: Vec<String> = bins.iter().map(|b| format!("{b}: global {path}")).collect();
    format!("{packages}\n{}", lines.join("\n"))
}

#[test]
fn global_files_affect_every_binary() {
    for path in [
        "Cargo.toml",
        "rust-toolchain.toml",
        "rust-toolchain",
        ".cargo/config.toml",
        ".cargo/config",
    ] {
        check(
            Case {
                paths: &[path],
                ..Case::default()
            },
            &everything(path),
        );
    }
}

#[test]
fn cargo_config_inside_a_package_is_not_global() {
    // Only configuration at or above the workspace root is global; below it, the file is just a
    // file of the package that holds it.
    check(
        Case {
            paths: &["bin/queen-rbee/.cargo/config.toml"],
            ..Case::default()
        },
        "
packages: queen-rbee
queen-rbee: path bin/queen-rbee/.cargo/config.toml
",
    );
}

#[test]
fn global_comes_with_the_other_changes() {
    // A global change and a change to one package together: every binary for the global
    // reason, and the package's binary for its own path too.
    check(
        Case {
            paths: &["Cargo.toml", "bin/queen-rbee/src/main.rs"],
            ..Case::default()
        },
        "
packages: build-info narration-core daemon-lifecycle hive-lifecycle job-server llm-worker-rbee queen-rbee rbee-hive rbee-keeper test-harness xtask
hive-check (rbee-hive): global Cargo.toml
hive-probe (rbee-hive): global Cargo.toml
rbee-keeper: global Cargo.toml
queen-rbee: path bin/queen-rbee/src/main.rs; global Cargo.toml
rbee-hive: global Cargo.toml
llm-worker-rbee: global Cargo.toml
xtask: global Cargo.toml
",
    );
}
