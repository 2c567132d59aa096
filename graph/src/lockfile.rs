//! `Cargo.lock`: the pinned external packages and what each one depends on.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::Error;

/// What identifies one entry of a lock file: a name, a version and a source. Path packages
/// (workspace members and their path dependencies) have no source.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockKey {
    /// The package name.
    pub name: String,
    /// The pinned version.
    pub version: String,
    /// `registry+...` or `git+...`; `None` for path packages.
    pub source: Option<String>,
}

/// One `[[package]]` of a lock file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockEntry {
    /// Name, version and source.
    pub key: LockKey,
    /// The registry checksum, when the lock file records one.
    pub checksum: Option<String>,
    /// Its dependencies, resolved to entries of the same lock file.
    pub dependencies: BTreeSet<LockKey>,
}

impl LockEntry {
    /// Whether `other` pins the same crate with the same dependencies. A dependency's version
    /// does not count: when `memchr` is bumped, `memchr`'s own entries are the change, and they
    /// reach `bstr` (and what uses it) through the graph; `bstr` itself did not change.
    fn same_crate(&self, other: &LockEntry) -> bool {
        let names = |e: &LockEntry| -> BTreeSet<(String, Option<String>)> {
            e.dependencies
                .iter()
                .map(|d| (d.name.clone(), d.source.clone()))
                .collect()
        };
        self.key == other.key && self.checksum == other.checksum && names(self) == names(other)
    }
}

/// A parsed `Cargo.lock`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lockfile {
    entries: BTreeMap<LockKey, LockEntry>,
}

#[derive(Deserialize)]
struct RawLock {
    #[serde(default)]
    package: Vec<RawPackage>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl Lockfile {
    /// Parses the text of a `Cargo.lock` (any format version cargo writes: v1 to v4).
    ///
    /// A dependency is written `name`, `name version` or `name version (source)`, naming just
    /// enough to be unambiguous; it is resolved here to the full key of its entry.
    pub fn parse(text: &str) -> Result<Lockfile, Error> {
        let raw: RawLock = toml::from_str(text).map_err(|e| Error::Lockfile(one_line(&e)))?;
        let keys: Vec<LockKey> = raw
            .package
            .iter()
            .map(|p| LockKey {
                name: p.name.clone(),
                version: p.version.clone(),
                source: p.source.clone(),
            })
            .collect();
        let mut by_name: BTreeMap<&str, Vec<&LockKey>> = BTreeMap::new();
        for key in &keys {
            by_name.entry(&key.name).or_default().push(key);
        }
        let mut entries = BTreeMap::new();
        for (raw, key) in raw.package.iter().zip(&keys) {
            let mut dependencies = BTreeSet::new();
            for spec in &raw.dependencies {
                let dep = resolve(spec, &by_name).ok_or_else(|| {
                    Error::Lockfile(format!(
                        "`{}` depends on `{spec}`, which has no entry",
                        raw.name
                    ))
                })?;
                dependencies.insert(dep.clone());
            }
            entries.insert(
                key.clone(),
                LockEntry {
                    key: key.clone(),
                    checksum: raw.checksum.clone(),
                    dependencies,
                },
            );
        }
        Ok(Lockfile { entries })
    }

    /// Every entry, sorted by name, version and source.
    pub fn entries(&self) -> impl Iterator<Item = &LockEntry> {
        self.entries.values()
    }

    /// The entry with this key.
    pub fn get(&self, key: &LockKey) -> Option<&LockEntry> {
        self.entries.get(key)
    }

    /// The external entries (those with a source) that differ between `old` and `new`: added,
    /// removed, or with another checksum or dependency list. A version bump shows up as the old
    /// key removed and the new one added; both are returned. A missing lock file on one side
    /// (`None`) makes every external entry of the other side changed.
    pub fn changed_entries(old: Option<&Lockfile>, new: Option<&Lockfile>) -> BTreeSet<LockKey> {
        let empty = Lockfile::default();
        let old = old.unwrap_or(&empty);
        let new = new.unwrap_or(&empty);
        let mut changed = BTreeSet::new();
        for (a, b) in [(old, new), (new, old)] {
            for (key, entry) in &a.entries {
                if key.source.is_some() && b.entries.get(key).is_none_or(|e| !e.same_crate(entry)) {
                    changed.insert(key.clone());
                }
            }
        }
        changed
    }
}

fn resolve<'a>(spec: &str, by_name: &BTreeMap<&str, Vec<&'a LockKey>>) -> Option<&'a LockKey> {
    let mut parts = spec.splitn(3, ' ');
    let name = parts.next()?;
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    let candidates = by_name.get(name)?;
    // A git source is written without its locked commit (`#...`) where a dependency names it.
    let same_source = |key: &LockKey, s: &str| {
        key.source.as_deref().is_some_and(|source| {
            source == s || source.split_once('#').is_some_and(|(bare, _)| bare == s)
        })
    };
    candidates.iter().copied().find(|key| {
        version.is_none_or(|v| key.version == v) && source.is_none_or(|s| same_source(key, s))
    })
}

/// toml's errors draw the offending line with a caret over several lines; keep the position
/// (first line) and the complaint (last line).
fn one_line(error: &impl std::fmt::Display) -> String {
    let text = error.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [first, .., last] => format!("{first}: {last}"),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_bumped_dependency_is_the_change_not_the_crate_that_uses_it() {
        let lock = |memchr: &str| {
            format!(
                "version = 4\n\n[[package]]\nname = \"bstr\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"aa\"\ndependencies = [\"memchr\"]\n\n[[package]]\nname = \"memchr\"\nversion = \"{memchr}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{memchr}\"\n"
            )
        };
        let old = Lockfile::parse(&lock("2.5.0")).expect("old");
        let new = Lockfile::parse(&lock("2.6.0")).expect("new");
        let changed: Vec<String> = Lockfile::changed_entries(Some(&old), Some(&new))
            .into_iter()
            .map(|k| format!("{} {}", k.name, k.version))
            .collect();
        assert_eq!(changed, ["memchr 2.5.0", "memchr 2.6.0"]);
    }

    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa", "serde 1.0.1", "serde 0.9.0 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aaa"

[[package]]
name = "serde"
version = "1.0.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bbb"

[[package]]
name = "serde"
version = "0.9.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "ccc"
"#;

    #[test]
    fn resolves_every_dependency_form() {
        let lock = Lockfile::parse(LOCK).unwrap();
        let app = lock.entries().find(|e| e.key.name == "app").unwrap();
        let deps: Vec<_> = app
            .dependencies
            .iter()
            .map(|k| format!("{} {}", k.name, k.version))
            .collect();
        assert_eq!(deps, ["itoa 1.0.11", "serde 0.9.0", "serde 1.0.1"]);
    }

    #[test]
    fn a_git_source_is_named_without_its_commit() {
        // Two git sources of one crate version (a branch and a `rev`): the dependency names
        // its source without the locked commit, as cargo writes it.
        let lock = r#"
version = 4

[[package]]
name = "a"
version = "0.1.0"
dependencies = ["shared 0.1.0 (git+file:///deps/shared)"]

[[package]]
name = "b"
version = "0.1.0"
dependencies = ["shared 0.1.0 (git+file:///deps/shared?rev=c16a)"]

[[package]]
name = "shared"
version = "0.1.0"
source = "git+file:///deps/shared#4d5d"

[[package]]
name = "shared"
version = "0.1.0"
source = "git+file:///deps/shared?rev=c16a#c16a"
"#;
        let lock = Lockfile::parse(lock).expect("a valid lock file");
        let source_of = |name: &str| {
            let entry = lock.entries().find(|e| e.key.name == name).unwrap();
            entry
                .dependencies
                .iter()
                .next()
                .unwrap()
                .source
                .clone()
                .unwrap()
        };
        assert_eq!(source_of("a"), "git+file:///deps/shared#4d5d");
        assert_eq!(source_of("b"), "git+file:///deps/shared?rev=c16a#c16a");
    }

    #[test]
    fn a_bump_changes_old_and_new_key_only() {
        let old = Lockfile::parse(LOCK).unwrap();
        let new = Lockfile::parse(&LOCK.replace("1.0.11", "1.0.12")).unwrap();
        let changed: Vec<_> = Lockfile::changed_entries(Some(&old), Some(&new))
            .into_iter()
            .map(|k| k.version)
            .collect();
        assert_eq!(changed, ["1.0.11", "1.0.12"]);
    }

    #[test]
    fn a_checksum_change_counts() {
        let old = Lockfile::parse(LOCK).unwrap();
        let new = Lockfile::parse(&LOCK.replace("bbb", "bbc")).unwrap();
        let changed = Lockfile::changed_entries(Some(&old), Some(&new));
        assert_eq!(changed.len(), 1);
        assert_eq!(changed.iter().next().unwrap().version, "1.0.1");
    }

    #[test]
    fn a_missing_side_changes_every_external() {
        let lock = Lockfile::parse(LOCK).unwrap();
        assert_eq!(Lockfile::changed_entries(None, Some(&lock)).len(), 3);
        assert!(Lockfile::changed_entries(Some(&lock), Some(&lock)).is_empty());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            Lockfile::parse("[[package]]\nname = 1"),
            Err(Error::Lockfile(_))
        ));
        let dangling = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"b\"]\n";
        assert!(
            Lockfile::parse(dangling)
                .unwrap_err()
                .to_string()
                .contains("`b`")
        );
    }
}
