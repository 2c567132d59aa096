//! Repository-relative paths.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// A path relative to the repository root, with `/` separators and no `.` or `..` components.
///
/// The empty string is the repository root itself.
pub type RepoPath = String;

/// Turns `path` into a [`RepoPath`] if it lies inside `root`; both are taken lexically (no
/// symlink resolution: callers pass canonical paths).
pub fn relative_to(path: &Path, root: &Path) -> Option<RepoPath> {
    let rest = path.strip_prefix(root).ok()?;
    let mut out = String::new();
    for component in rest.components() {
        match component {
            Component::Normal(part) => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(&part.to_string_lossy());
            }
            Component::CurDir => {}
            // `..` after stripping the root would leave the repository: not ours.
            _ => return None,
        }
    }
    Some(out)
}

/// Whether `path` is `dir` or lies below it (`dir` empty means the repository root).
pub fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// The path relative to `dir`, if `path` lies below it (`dir` empty: `path` itself).
pub fn strip_dir<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    if dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// `path` with `.` and `..` taken out lexically, without touching the file system (cargo
/// and rustc write paths such as `src/../../shared/prompts.txt`).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `dir/name`, or `name` alone when `dir` is the repository root.
pub fn join(dir: &str, name: &str) -> RepoPath {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Where a symlink at `link` (repository-relative) points, repository-relative, from its
/// target text as git stores it. `None` for an absolute target or one that leaves the
/// repository: what lies there is not the repository's to compare.
pub fn link_target(link: &str, target: &str) -> Option<RepoPath> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The paths that `changed` paths are also reached as through symlinks (`links`: each link's
/// path and its [`link_target`]): with `a/src -> ../b/src`, a change of `b/src/lib.rs` is also
/// a change of `a/src/lib.rs`, which package `a` builds. Links through links are followed a
/// few levels deep. The changed paths themselves are not in the answer.
pub fn seen_through_links(
    changed: &BTreeSet<RepoPath>,
    links: &[(RepoPath, RepoPath)],
) -> BTreeSet<RepoPath> {
    /// Deeper chains of links are vanishingly rare; a cycle must stop somewhere.
    const DEPTH: usize = 8;
    let mut seen = BTreeSet::new();
    let mut frontier: BTreeSet<RepoPath> = changed.clone();
    for _ in 0..DEPTH {
        let mut next = BTreeSet::new();
        for path in &frontier {
            for (link, target) in links {
                let alias = if path == target {
                    link.clone()
                } else if let Some(rest) = strip_dir(path, target) {
                    join(link, rest)
                } else {
                    continue;
                };
                if !changed.contains(&alias) && seen.insert(alias.clone()) {
                    next.insert(alias);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_to(Path::new("/r/a/b"), Path::new("/r")).as_deref(),
            Some("a/b")
        );
        assert_eq!(
            relative_to(Path::new("/r"), Path::new("/r")).as_deref(),
            Some("")
        );
        assert_eq!(relative_to(Path::new("/x/a"), Path::new("/r")), None);
    }

    #[test]
    fn within() {
        assert!(is_within("libs/a/src/lib.rs", "libs/a"));
        assert!(!is_within("libs/ab/src/lib.rs", "libs/a"));
        assert!(is_within("anything", ""));
        assert_eq!(strip_dir("libs/a/src/lib.rs", "libs/a"), Some("src/lib.rs"));
        assert_eq!(strip_dir("libs/ab", "libs/a"), None);
    }

    #[test]
    fn links() {
        assert_eq!(
            link_target("gix-packetline-blocking/src", "../gix-packetline/src").as_deref(),
            Some("gix-packetline/src")
        );
        assert_eq!(link_target("a/b", "./c/").as_deref(), Some("a/c"));
        assert_eq!(link_target("a", "../outside"), None);
        assert_eq!(link_target("a", "/etc/passwd"), None);

        let links = vec![
            ("blocking/src".to_owned(), "packetline/src".to_owned()),
            ("again/src".to_owned(), "blocking/src".to_owned()),
            ("one.txt".to_owned(), "data/one.txt".to_owned()),
            ("loop/a".to_owned(), "loop/b".to_owned()),
            ("loop/b".to_owned(), "loop/a".to_owned()),
        ];
        let changed = |paths: &[&str]| paths.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            seen_through_links(&changed(&["packetline/src/lib.rs", "other.rs"]), &links),
            changed(&["again/src/lib.rs", "blocking/src/lib.rs"])
        );
        assert_eq!(
            seen_through_links(&changed(&["data/one.txt"]), &links),
            changed(&["one.txt"])
        );
        assert_eq!(
            seen_through_links(&changed(&["packetline/srcx/lib.rs"]), &links),
            BTreeSet::new()
        );
        assert_eq!(
            seen_through_links(&changed(&["loop/a/x"]), &links),
            changed(&["loop/b/x"])
        );
    }
}
