//! Paths that git sees one way and cargo another: a directory or file reached through a
//! symlink (git compares the link's target text and never looks through it; cargo builds
//! what it points at), and a submodule that moves from one package to another.

use std::os::unix::fs::symlink;

use rbee_graph_testdata::Repo;

use crate::util::*;

/// The rbee fixture plus `libs/mirror`, a package (lib and bin `mirror`) whose `src` is a
/// symlink to narration-core's, as gitoxide's `gix-packetline-blocking/src` links to
/// `gix-packetline/src`; and `xtask/banner.txt`, a file symlink to narration-core's lib.rs.
/// Nothing depends on `mirror`, and `xtask` does not depend on narration-core.
fn mirrored() -> Repo {
    let repo = Repo::from_fixture("rbee");
    repo.write(
        "libs/mirror/Cargo.toml",
        "[package]\nname = \"mirror\"\nversion.workspace = true\nedition.workspace = true\n\n\
         [[bin]]\nname = \"mirror\"\npath = \"main.rs\"\n",
    );
    repo.write("libs/mirror/main.rs", "fn main() {}\n");
    symlink("../narration-core/src", repo.path("libs/mirror/src")).expect("link a directory");
    symlink(
        "../libs/narration-core/src/lib.rs",
        repo.path("xtask/banner.txt"),
    )
    .expect("link a file");
    repo.commit("mirror builds narration-core's sources through a symlink");
    repo
}

const EDITED: &str = "libs/narration-core/src/lib.rs";

fn assert_seen_through_the_links(v: &serde_json::Value) {
    assert_reason(
        v,
        ("mirror", "mirror"),
        "path",
        Some("mirror"),
        "libs/mirror/src/lib.rs",
    );
    assert_reason(
        v,
        ("xtask", "xtask"),
        "path",
        Some("xtask"),
        "xtask/banner.txt",
    );
    assert_eq!(
        changed(v),
        sorted(&[EDITED, "libs/mirror/src/lib.rs", "xtask/banner.txt"]),
        "the changed file, and where the links show it: {v:#}"
    );
}

#[test]
fn a_change_behind_a_symlink_counts_for_the_package_the_link_is_in_working_tree() {
    let repo = mirrored();
    repo.append(EDITED, "\n// edited\n");
    let v = affected_json(&repo, &["--base", "HEAD"]);
    assert_seen_through_the_links(&v);
}

#[test]
fn a_change_behind_a_symlink_counts_for_the_package_the_link_is_in_between_commits() {
    let repo = mirrored();
    repo.append(EDITED, "\n// edited\n");
    repo.commit("edit narration-core");
    // The work tree is the head commit: its links come from the index.
    let v = affected_json(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_seen_through_the_links(&v);
    // The work tree differs from the head: its links come from the head's tree.
    repo.remove("libs/mirror/src");
    repo.remove("xtask/banner.txt");
    let v = affected_json(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_seen_through_the_links(&v);
}

#[test]
fn a_symlink_that_leaves_the_repository_or_points_nowhere_is_only_a_changed_file() {
    let repo = Repo::from_fixture("rbee");
    symlink("/etc/hostname", repo.path("xtask/outside.txt")).expect("link");
    symlink("../../../..", repo.path("xtask/up")).expect("link");
    symlink("missing", repo.path("xtask/dangling")).expect("link");
    let v = affected_json(&repo, &["--base", "HEAD"]);
    assert_eq!(
        bins(&v),
        pairs(&[("xtask", "xtask")]),
        "three new files of xtask, nothing behind them: {v:#}"
    );
}

#[test]
fn a_moved_submodule_counts_for_the_packages_that_own_its_old_and_new_paths() {
    let repo = Repo::from_fixture("rbee");
    // Any repository will do as the submodule's; it is never built.
    let source = Repo::from_fixture("root-package");
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        source.root().to_str().expect("UTF-8 path"),
        "bin/rbee-keeper/vendor/data",
    ]);
    repo.commit("vendor data into rbee-keeper");
    std::fs::create_dir_all(repo.path("xtask/vendor")).expect("create xtask/vendor");
    repo.git(&["mv", "bin/rbee-keeper/vendor/data", "xtask/vendor/data"]);
    let expect = pairs(&[("rbee-keeper", "rbee-keeper"), ("xtask", "xtask")]);
    // Staged, in the working tree.
    let v = affected_json(&repo, &["--base", "HEAD"]);
    assert_eq!(bins(&v), expect, "{v:#}");
    assert_reason(
        &v,
        ("xtask", "xtask"),
        "path",
        Some("xtask"),
        "xtask/vendor/data",
    );
    // Committed.
    repo.commit("move the vendored data to xtask");
    let v = affected_json(&repo, &["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(bins(&v), expect, "{v:#}");
    assert_reason(
        &v,
        ("rbee-keeper", "rbee-keeper"),
        "path",
        Some("rbee-keeper"),
        "bin/rbee-keeper/vendor/data",
    );
}
