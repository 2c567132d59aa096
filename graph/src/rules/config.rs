//! `[workspace.metadata.rbee-graph]`: what the user can tell the engine about the workspace.
//!
//! Every key is optional; the defaults need no configuration at all. Unknown keys are errors,
//! so a typo does not silently do nothing.

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::{Error, Result, WorkspaceGraph};

/// Paths no binary depends on unless a package owns them.
pub const DEFAULT_IGNORE: &[&str] = &[
    "docs/**",
    ".github/**",
    "LICENSE*",
    ".gitignore",
    ".gitattributes",
    // Where submodules live and come from; a moved submodule's own path changes too, and
    // counts for the package that owns it.
    ".gitmodules",
    ".editorconfig",
];

/// Markdown outside every package (the workspace README, ...) is ignored too. Inside a package
/// it is a data file like any other (`#![doc = include_str!("../README.md")]` is common).
pub const DEFAULT_IGNORE_OUTSIDE_PACKAGES: &[&str] = &["*.md", "**/*.md"];

/// The parsed configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Spawn edges by binary name: `spawns["rbee-keeper"] = ["queen-rbee"]`.
    pub spawns: BTreeMap<String, Vec<String>>,
    /// Extra globs (workspace-relative) for paths that affect nothing.
    pub ignore: Vec<String>,
    /// Extra globs (workspace-relative) for paths that affect every binary.
    pub global: Vec<String>,
    /// Globs (workspace-relative) of paths outside every package, mapped onto the packages
    /// that read them.
    pub owners: BTreeMap<String, Vec<String>>,
    /// Globs (workspace-relative) of files that these packages' tests read at run time
    /// (fixtures no dep-info lists): with `--tests`, a change to one runs those tests.
    pub test_owners: BTreeMap<String, Vec<String>>,
    /// Whether `ensure` may build (default true), and per-binary overrides.
    pub auto_build: AutoBuild,
    /// The cargo profile to build with (default `dev`).
    pub profile: Option<String>,
    /// What a binary needs of the machine that builds it (`requires`), by binary name:
    /// builds, cascades and `status` leave a binary alone where it is missing.
    pub requires: BTreeMap<String, Requirement>,
}

/// `requires."llm-worker-rbee-cuda" = { env = "CUDA_PATH", program = "nvcc" }`: each key is a
/// string or a list of them, and every condition must hold.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The operating systems that can build it (`std::env::consts::OS`: `linux`, `macos`,
    /// `windows`, ...).
    #[serde(default, deserialize_with = "one_or_many")]
    pub os: Vec<String>,
    /// Environment variables that must be set (and not empty).
    #[serde(default, deserialize_with = "one_or_many")]
    pub env: Vec<String>,
    /// Programs that must be on `PATH`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub program: Vec<String>,
}

/// Why this machine cannot build a binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unbuildable {
    /// It builds on these operating systems only.
    Os {
        /// The ones that can build it.
        needs: Vec<String>,
        /// This one.
        this: String,
    },
    /// This variable is not set.
    Env(String),
    /// This program is not on `PATH`.
    Program(String),
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// `auto-build = true|false` or `auto-build = { default = true, "queen-rbee" = false }`.
#[derive(Clone, Debug)]
pub struct AutoBuild {
    /// The value for binaries not named below.
    pub default: bool,
    /// Per-binary values.
    pub per_binary: BTreeMap<String, bool>,
}

impl Default for AutoBuild {
    fn default() -> Self {
        AutoBuild {
            default: true,
            per_binary: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawAutoBuild {
    All(bool),
    PerBinary(BTreeMap<String, bool>),
}

/// Reads one key's value, naming the key in the error.
fn read<T: serde::de::DeserializeOwned>(
    key: &str,
    value: &serde_json::Value,
    expected: &str,
) -> Result<T> {
    serde_json::from_value(value.clone()).map_err(|e| Error::Config {
        key: key.to_owned(),
        message: format!("expected {expected} ({e})"),
    })
}

impl Config {
    /// Reads the `rbee-graph` table out of `[workspace.metadata]` as cargo reported it. Each
    /// key is read on its own, so an error names the key at fault.
    pub fn from_workspace_metadata(metadata: &serde_json::Value) -> Result<Config> {
        let Some(table) = metadata.get("rbee-graph") else {
            return Ok(Config::default());
        };
        let Some(table) = table.as_object() else {
            return Err(Error::Config {
                key: String::new(),
                message: "expected a table of settings".to_owned(),
            });
        };
        let mut config = Config::default();
        for (key, value) in table {
            match key.as_str() {
                "spawns" => {
                    config.spawns = read(
                        key,
                        value,
                        "a table of binary names to lists of binary names",
                    )?
                }
                "ignore" => config.ignore = read(key, value, "a list of globs")?,
                "global" => config.global = read(key, value, "a list of globs")?,
                "owners" => {
                    config.owners = read(key, value, "a table of globs to lists of package names")?
                }
                "test-owners" => {
                    config.test_owners =
                        read(key, value, "a table of globs to lists of package names")?
                }
                "profile" => config.profile = Some(read(key, value, "a profile name")?),
                "requires" => {
                    config.requires = read(
                        key,
                        value,
                        "a table of binary names to `{ os = .., env = .., program = .. }`",
                    )?
                }
                "auto-build" => {
                    let raw: RawAutoBuild = read(
                        key,
                        value,
                        "true, false, or a table of binary names (and `default`) to true or false",
                    )?;
                    config.auto_build = match raw {
                        RawAutoBuild::All(default) => AutoBuild {
                            default,
                            per_binary: BTreeMap::new(),
                        },
                        RawAutoBuild::PerBinary(mut map) => {
                            let default = map.remove("default").unwrap_or(true);
                            AutoBuild {
                                default,
                                per_binary: map,
                            }
                        }
                    };
                }
                _ => {
                    return Err(Error::Config {
                        key: key.clone(),
                        message: "unknown key; the keys are spawns, ignore, global, owners, test-owners, \
                                  auto-build, profile and requires"
                            .to_owned(),
                    });
                }
            }
        }
        // Validate globs now, so a bad one is reported with its key before any work is done.
        glob_set("ignore", &config.ignore)?;
        glob_set("global", &config.global)?;
        for pattern in config.owners.keys() {
            glob_set("owners", std::slice::from_ref(pattern))?;
        }
        for pattern in config.test_owners.keys() {
            glob_set("test-owners", std::slice::from_ref(pattern))?;
        }
        Ok(config)
    }
}

/// A name the configuration uses that the workspace does not have: a typo, or a binary or
/// package removed since the configuration was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// The key that names it (`spawns`, `owners`, ...).
    pub key: &'static str,
    /// What the key names: a binary or a package.
    pub what: NameOf,
    /// The name.
    pub name: String,
}

/// What a configured name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameOf {
    /// A binary target.
    Binary,
    /// A package.
    Package,
}

impl Config {
    /// Checks the names the configuration uses against the workspace. Unknown names are
    /// returned, for the caller to warn about and otherwise ignore, so that CI keeps working;
    /// spawn edges that form a cycle are an error, since no build order satisfies them.
    pub fn check_names(&self, graph: &WorkspaceGraph) -> Result<Vec<UnknownName>> {
        let binaries: std::collections::BTreeSet<String> =
            graph.binaries().map(|(_, b)| b.name).collect();
        let mut unknown = Vec::new();
        let mut binary = |key: &'static str, name: &String| {
            if !binaries.contains(name) {
                unknown.push(UnknownName {
                    key,
                    what: NameOf::Binary,
                    name: name.clone(),
                });
            }
        };
        for (spawner, spawned) in &self.spawns {
            for name in std::iter::once(spawner).chain(spawned) {
                binary("spawns", name);
            }
        }
        for name in self.auto_build.per_binary.keys() {
            binary("auto-build", name);
        }
        for name in self.requires.keys() {
            binary("requires", name);
        }
        let owners = self.owners.values().flatten().map(|n| ("owners", n));
        let test_owners = self
            .test_owners
            .values()
            .flatten()
            .map(|n| ("test-owners", n));
        for (key, name) in owners.chain(test_owners) {
            if graph.package_by_name(name).is_none() {
                unknown.push(UnknownName {
                    key,
                    what: NameOf::Package,
                    name: name.clone(),
                });
            }
        }
        let pairs = graph.spawn_pairs(&self.spawns);
        graph
            .order_binaries(graph.binaries().map(|(_, b)| b), &pairs)
            .map_err(|e| Error::Config {
                key: "spawns".to_owned(),
                message: e.to_string(),
            })?;
        Ok(unknown)
    }
}

/// Compiles globs the way the path rules use them: `*` does not cross `/`.
pub(crate) fn glob_set(key: &str, patterns: &[impl AsRef<str>]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(glob(key, pattern.as_ref())?);
    }
    builder.build().map_err(|e| Error::Config {
        key: key.to_owned(),
        message: e.to_string(),
    })
}

pub(crate) fn glob(key: &str, pattern: &str) -> Result<Glob> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| Error::Config {
            key: key.to_owned(),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_need_nothing() {
        let config = Config::from_workspace_metadata(&serde_json::Value::Null).unwrap();
        assert!(config.spawns.is_empty());
        assert!(config.auto_build.default);
    }

    #[test]
    fn reads_every_key() {
        let config = Config::from_workspace_metadata(&json!({"rbee-graph": {
            "spawns": {"rbee-keeper": ["queen-rbee"]},
            "ignore": ["fuzz/**"],
            "global": ["tools/*.sh"],
            "owners": {"shared/**": ["narration-core"]},
            "auto-build": {"default": false, "queen-rbee": true},
            "profile": "release",
        }}))
        .unwrap();
        assert_eq!(config.spawns["rbee-keeper"], ["queen-rbee"]);
        assert!(!config.auto_build.default);
        assert!(config.auto_build.per_binary["queen-rbee"]);
        assert_eq!(config.profile.as_deref(), Some("release"));
    }

    #[test]
    fn type_errors_name_the_key() {
        let wrong = Config::from_workspace_metadata(&json!({"rbee-graph": {"ignore": {"a": 1}}}));
        let message = wrong.unwrap_err().to_string();
        assert!(
            message.contains("rbee-graph.ignore`: expected a list of globs"),
            "{message}"
        );
        let wrong = Config::from_workspace_metadata(&json!({"rbee-graph": {"auto-build": "yes"}}));
        assert!(
            wrong
                .unwrap_err()
                .to_string()
                .contains("rbee-graph.auto-build`")
        );
        let wrong = Config::from_workspace_metadata(&json!({"rbee-graph": [1, 2]}));
        assert!(wrong.unwrap_err().to_string().contains("expected a table"));
    }

    #[test]
    fn errors_name_the_key() {
        let typo = Config::from_workspace_metadata(&json!({"rbee-graph": {"spawn": {}}}));
        assert!(typo.unwrap_err().to_string().contains("rbee-graph.spawn`"));
        let bad_glob =
            Config::from_workspace_metadata(&json!({"rbee-graph": {"ignore": ["a/[b"]}}));
        assert!(
            bad_glob
                .unwrap_err()
                .to_string()
                .contains("rbee-graph.ignore`")
        );
    }
}
