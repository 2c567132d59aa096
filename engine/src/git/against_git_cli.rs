//! The git layer against git itself: after every step of a seeded random sequence of edits,
//! stages, deletions, renames and commits, the paths gix reports as changed must be exactly the
//! paths `git diff --name-only --no-renames` and `git ls-files --others --exclude-standard`
//! report. The seed is printed on failure; set `RBEE_GRAPH_GIT_SEED` to replay one.

use std::collections::BTreeSet;

use crate::git::repo::Repo as GixRepo;
use rbee_graph_testdata::Repo;

/// xorshift64*: enough randomness for choosing steps, and reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What git says differs between `commit` and the work tree.
fn git_worktree_changes(repo: &Repo, commit: &str) -> BTreeSet<String> {
    let mut paths = lines(&repo.git(&["diff", "--name-only", "--no-renames", commit]));
    paths.extend(lines(&repo.git(&[
        "ls-files",
        "--others",
        "--exclude-standard",
    ])));
    paths
}

fn tracked_files(repo: &Repo) -> Vec<String> {
    lines(&repo.git(&["ls-files"]))
        .into_iter()
        .filter(|p| !p.ends_with("Cargo.lock") && repo.path(p).is_file())
        .collect()
}

/// One random step; returns its description for the failure message.
fn step(repo: &Repo, rng: &mut Rng, n: usize) -> String {
    let files = tracked_files(repo);
    let file = files[rng.below(files.len())].clone();
    match rng.below(9) {
        0 => {
            repo.append(&file, &format!("\n// edit {n}\n"));
            format!("edit {file}")
        }
        1 => {
            repo.append(&file, &format!("\n// staged {n}\n"));
            repo.git(&["add", "--", &file]);
            format!("stage an edit of {file}")
        }
        2 => {
            // Staged, then reverted on disk: content equals HEAD again, index differs.
            let before = repo.read(&file);
            repo.append(&file, &format!("\n// staged then reverted {n}\n"));
            repo.git(&["add", "--", &file]);
            repo.write(&file, &before);
            format!("stage and revert {file}")
        }
        3 => {
            repo.remove(&file);
            format!("delete {file}")
        }
        4 => {
            repo.git(&["rm", "-q", "-f", "--", &file]);
            format!("git rm {file}")
        }
        5 => {
            let new = format!("new/dir{}/file{n}.txt", rng.below(3));
            repo.write(&new, "untracked\n");
            format!("add untracked {new}")
        }
        6 => {
            repo.write(&format!("target/debug/junk{n}"), "ignored\n");
            "add an ignored file".to_owned()
        }
        7 => {
            let to = format!("moved/{n}-{}", file.replace('/', "_"));
            std::fs::create_dir_all(repo.path("moved")).unwrap();
            repo.git(&["mv", "--", &file, &to]);
            format!("git mv {file} {to}")
        }
        _ => {
            repo.git(&["add", "-A"]);
            repo.git(&["commit", "-q", "--allow-empty", "-m", &format!("step {n}")]);
            "commit".to_owned()
        }
    }
}

fn assert_same(
    ours: &BTreeSet<String>,
    git: &BTreeSet<String>,
    what: &str,
    steps: &[String],
    seed: u64,
) {
    let only_ours: Vec<_> = ours.difference(git).collect();
    let only_git: Vec<_> = git.difference(ours).collect();
    assert!(
        only_ours.is_empty() && only_git.is_empty(),
        "{what} diff differs from git (seed {seed}): only gix {only_ours:?}, only git {only_git:?}; steps {steps:?}"
    );
}

#[test]
fn worktree_and_tree_diffs_match_git() {
    let seed: u64 = std::env::var("RBEE_GRAPH_GIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026);
    let repo = Repo::from_fixture("rbee");
    let base = repo.head();
    let mut rng = Rng(seed);
    let mut history = Vec::new();
    for n in 0..60 {
        history.push(step(&repo, &mut rng, n));
        let gix = GixRepo::discover(repo.root()).unwrap();
        let base_id = gix.resolve_commit(&base).unwrap();
        let ours = gix.changed_in_worktree(base_id).unwrap();
        let theirs = git_worktree_changes(&repo, &base);
        assert_same(&ours, &theirs, "worktree", &history, seed);

        // The scoped walk agrees with the full one within its scope.
        let scope: Vec<String> = [
            "libs/narration-core",
            "bin",
            "Cargo.toml",
            "new",
            "moved",
            "target",
        ]
        .map(String::from)
        .to_vec();
        let scoped = gix.changed_in_worktree_under(base_id, &scope).unwrap();
        let within: BTreeSet<String> = ours
            .iter()
            .filter(|p| {
                scope
                    .iter()
                    .any(|s| *p == s || p.starts_with(&format!("{s}/")))
            })
            .cloned()
            .collect();
        assert_same(&scoped, &within, "scoped worktree", &history, seed);

        let head = repo.head();
        let head_id = gix.resolve_commit(&head).unwrap();
        let ours = gix.changed_between(base_id, head_id).unwrap();
        let theirs = lines(&repo.git(&["diff", "--name-only", "--no-renames", &base, &head]));
        assert_same(&ours, &theirs, "tree", &history, seed);
    }
}

/// Sets the modification time of every directory and `.gitignore` of the work tree (outside
/// `.git`) changed in the last minute to `when`, then waits out the kept walk's racy window
/// (setting a time moves the status-change time): as if time had passed since the step, so
/// that the walk may trust what it recorded.
fn backdate_recent_dirs(dir: &std::path::Path, when: std::time::SystemTime) {
    backdate_below(dir, when);
    std::thread::sleep(std::time::Duration::from_millis(120));
}

fn backdate_below(dir: &std::path::Path, when: std::time::SystemTime) {
    let recent = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let backdate = |path: &std::path::Path| {
        if std::fs::symlink_metadata(path).unwrap().modified().unwrap() > recent {
            std::fs::File::open(path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
    };
    backdate(dir);
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() && entry.file_name() != ".git" {
            backdate_below(&entry.path(), when);
        } else if entry.file_name() == ".gitignore" {
            backdate(&entry.path());
        }
    }
}

#[test]
fn a_kept_untracked_walk_matches_git() {
    let seed: u64 = std::env::var("RBEE_GRAPH_GIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0dd_2026);
    let repo = Repo::from_fixture("rbee");
    let kept = tempfile::tempdir().unwrap();
    let cache = kept.path().join("untracked.json");
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    backdate_recent_dirs(repo.root(), day_ago);
    let base = repo.head();
    let mut rng = Rng(seed);
    let mut history = Vec::new();
    for n in 0..60 {
        history.push(step(&repo, &mut rng, n));
        // Each step's directories get a time of their own, a day ago plus the step.
        backdate_recent_dirs(
            repo.root(),
            day_ago + std::time::Duration::from_secs(n as u64 + 1),
        );
        let gix = GixRepo::discover(repo.root())
            .unwrap()
            .keep_untracked_walk_in(cache.clone());
        let base_id = gix.resolve_commit(&base).unwrap();
        let ours = gix.changed_in_worktree(base_id).unwrap();
        let theirs = git_worktree_changes(&repo, &base);
        assert_same(&ours, &theirs, "kept-walk worktree", &history, seed);
    }
    assert!(cache.is_file(), "the walk was kept");
}

#[test]
fn a_kept_untracked_walk_is_reused_and_sees_what_changed_beneath_it() {
    let repo = Repo::from_fixture("rbee");
    let kept = tempfile::tempdir().unwrap();
    let cache = kept.path().join("untracked.json");
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    let later = |secs: u64| day_ago + std::time::Duration::from_secs(secs);
    repo.write("shared/notes/draft.txt", "untracked\n");
    repo.write("shared/notes/deep/later.txt", "untracked\n");
    backdate_recent_dirs(repo.root(), day_ago);
    let changed = || {
        let gix = GixRepo::discover(repo.root())
            .unwrap()
            .keep_untracked_walk_in(cache.clone());
        let head = gix.resolve_commit("HEAD").unwrap();
        gix.changed_in_worktree(head).unwrap()
    };
    let set = |paths: &[&str]| -> BTreeSet<String> {
        paths.iter().map(|p| format!("shared/{p}")).collect()
    };
    assert_eq!(changed(), set(&["notes/draft.txt", "notes/deep/later.txt"]));
    let written = std::fs::metadata(&cache).unwrap().modified().unwrap();
    assert_eq!(changed(), set(&["notes/draft.txt", "notes/deep/later.txt"]));
    assert_eq!(
        std::fs::metadata(&cache).unwrap().modified().unwrap(),
        written,
        "nothing changed: every directory was reused and the cache is not written again"
    );

    // A file added with the directory's modification time put back: the status-change time
    // still moves.
    let notes = repo.path("shared/notes");
    let mtime = std::fs::metadata(&notes).unwrap().modified().unwrap();
    repo.write("shared/notes/second.txt", "untracked\n");
    std::fs::File::open(&notes)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let all = set(&[
        "notes/draft.txt",
        "notes/second.txt",
        "notes/deep/later.txt",
    ]);
    assert_eq!(changed(), all);

    // A `.gitignore` edited in place (no directory's listing changes) applies to everything
    // beneath it, however deep.
    repo.write("shared/.gitignore", "draft.txt\n");
    backdate_recent_dirs(repo.root(), later(1));
    assert_eq!(
        changed(),
        set(&[".gitignore", "notes/second.txt", "notes/deep/later.txt"])
    );
    std::fs::write(repo.path("shared/.gitignore"), "later.txt\n").unwrap();
    backdate_recent_dirs(repo.root(), later(2));
    let unignored = set(&[".gitignore", "notes/draft.txt", "notes/second.txt"]);
    assert_eq!(changed(), unignored);

    // Staged and unstaged without touching the file: the directory's listing is the same,
    // its index entries are not.
    repo.git(&["add", "shared/notes/draft.txt"]);
    assert_eq!(
        changed(),
        unignored,
        "draft.txt, staged, still differs from HEAD"
    );
    repo.git(&["rm", "-q", "--cached", "shared/notes/draft.txt"]);
    assert_eq!(changed(), unignored);

    // The excludes of the repository, outside the work tree.
    let exclude = repo.root().join(".git/info/exclude");
    std::fs::write(&exclude, "draft.txt\n").unwrap();
    assert_eq!(changed(), set(&[".gitignore", "notes/second.txt"]));
}

/// What the kept walk of `dir`'s repository says differs from HEAD, and what git says.
fn kept_and_git(
    dir: &std::path::Path,
    cache: &std::path::Path,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let gix = GixRepo::discover(dir)
        .unwrap()
        .keep_untracked_walk_in(cache.to_owned());
    let head = gix.resolve_commit("HEAD").unwrap();
    let ours = gix.changed_in_worktree(head).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        lines(&String::from_utf8_lossy(&out.stdout))
    };
    let mut theirs = git(&["diff", "--name-only", "--no-renames", "HEAD"]);
    theirs.extend(git(&["ls-files", "--others", "--exclude-standard"]));
    (ours, theirs)
}

#[test]
fn a_kept_walk_follows_ignore_rules_outside_the_work_tree() {
    let repo = Repo::from_fixture("rbee");
    let kept = tempfile::tempdir().unwrap();
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    repo.write("shared/.gitignore", "*.log\n");
    repo.commit("ignore logs");
    repo.write("shared/Notes.LOG", "untracked\n");
    backdate_recent_dirs(repo.root(), day_ago);

    // A setting from an included configuration file: how names match.
    let included = kept.path().join("included.cfg");
    std::fs::write(&included, "[core]\n\tignoreCase = false\n").unwrap();
    repo.git(&["config", "include.path", included.to_str().unwrap()]);
    let cache = kept.path().join("untracked.json");
    let (ours, theirs) = kept_and_git(repo.root(), &cache);
    assert_eq!(ours, theirs);
    assert!(ours.contains("shared/Notes.LOG"), "{ours:?}");
    std::fs::write(&included, "[core]\n\tignoreCase = true\n").unwrap();
    let (ours, theirs) = kept_and_git(repo.root(), &cache);
    assert_eq!(ours, theirs, "the included file now ignores case");

    // A linked worktree reads the repository's `info/exclude`, not one of its own.
    let linked = kept.path().join("linked");
    repo.git(&["worktree", "add", "-q", linked.to_str().unwrap()]);
    std::fs::write(linked.join("shared/draft.txt"), "untracked\n").unwrap();
    backdate_recent_dirs(&linked, day_ago);
    let cache = kept.path().join("linked.json");
    let (ours, theirs) = kept_and_git(&linked, &cache);
    assert_eq!(ours, theirs);
    assert!(ours.contains("shared/draft.txt"), "{ours:?}");
    std::fs::write(repo.root().join(".git/info/exclude"), "draft.txt\n").unwrap();
    let (ours, theirs) = kept_and_git(&linked, &cache);
    assert_eq!(
        ours, theirs,
        "the repository's exclude now ignores draft.txt"
    );
    assert!(!ours.contains("shared/draft.txt"), "{ours:?}");
}

#[test]
fn a_kept_walk_survives_a_cache_edited_by_hand() {
    let repo = Repo::from_fixture("rbee");
    let kept = tempfile::tempdir().unwrap();
    let cache = kept.path().join("untracked.json");
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    repo.write("shared/notes/draft.txt", "untracked\n");
    backdate_recent_dirs(repo.root(), day_ago);
    let (first, theirs) = kept_and_git(repo.root(), &cache);
    assert_eq!(first, theirs);
    let stored = std::fs::read_to_string(&cache).unwrap();
    for (from, to) in [
        ("[\"draft.txt\"]", "[\"../../../../etc/passwd\"]"),
        ("[\"notes\"]", "[\"../../..\"]"),
        ("[\"notes\"]", "[\"notes\",\"vanished\"]"),
    ] {
        assert!(stored.contains(from), "{from} in {stored}");
        std::fs::write(&cache, stored.replacen(from, to, 1)).unwrap();
        let (ours, theirs) = kept_and_git(repo.root(), &cache);
        assert_eq!(ours, theirs, "with {to} in the cache");
    }
}

#[test]
fn merge_base_matches_git() {
    let repo = Repo::from_fixture("rbee");
    let fork = repo.head();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.append("libs/narration-core/src/lib.rs", "\n// feature\n");
    repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);
    repo.append("libs/job-server/src/lib.rs", "\n// main moved on\n");
    repo.commit("main work");
    let gix = GixRepo::discover(repo.root()).unwrap();
    let main = gix.resolve_commit("main").unwrap();
    let feature = gix.resolve_commit("feature").unwrap();
    let base = gix.merge_base(main, feature, ("main", "feature")).unwrap();
    assert_eq!(base.to_string(), fork);
    assert_eq!(
        base.to_string(),
        repo.git(&["merge-base", "main", "feature"])
    );
}

#[test]
fn unknown_revisions_and_missing_repositories_are_errors() {
    let repo = Repo::from_fixture("rbee");
    let gix = GixRepo::discover(repo.root()).unwrap();
    let err = gix.resolve_commit("no-such-branch").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unknown revision `no-such-branch`"),
        "{err}"
    );

    let plain = tempfile::tempdir().unwrap();
    let err = GixRepo::discover(plain.path())
        .err()
        .expect("not a repository");
    assert!(
        err.to_string().contains("not inside a git repository"),
        "{err}"
    );
}

#[test]
fn a_scoped_worktree_diff_is_the_full_one_within_the_scope() {
    let repo = Repo::from_fixture("rbee");
    let base = repo.head();
    repo.append("libs/narration-core/src/lib.rs", "\n// edit\n");
    repo.append("libs/job-server/src/lib.rs", "\n// edit\n");
    repo.write("libs/narration-core/src/new.rs", "// untracked\n");
    repo.write("shared/new.txt", "untracked\n");
    repo.git(&["add", "libs/job-server/src/lib.rs"]);
    repo.remove("bin/queen-rbee/src/main.rs");
    repo.append("Cargo.toml", "\n# edit\n");
    let gix = GixRepo::discover(repo.root()).unwrap();
    let base = gix.resolve_commit(&base).unwrap();
    let full = gix.changed_in_worktree(base).unwrap();
    let scope = [
        "libs/narration-core".to_owned(),
        "Cargo.toml".to_owned(),
        "shared".to_owned(),
    ];
    let scoped = gix.changed_in_worktree_under(base, &scope).unwrap();
    let expected: BTreeSet<String> = full
        .iter()
        .filter(|p| {
            scope
                .iter()
                .any(|s| *p == s || p.starts_with(&format!("{s}/")))
        })
        .cloned()
        .collect();
    assert_eq!(scoped, expected);
    assert_eq!(
        scoped,
        BTreeSet::from([
            "Cargo.toml".to_owned(),
            "libs/narration-core/src/lib.rs".to_owned(),
            "libs/narration-core/src/new.rs".to_owned(),
            "shared/new.txt".to_owned(),
        ])
    );
    // A prefix of a directory name is not that directory.
    let none = gix
        .changed_in_worktree_under(base, &["libs/narration".to_owned()])
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
}
