//! Repository-relative paths.

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
}
