//! Cargo's configuration as cargo finds it: `.cargo/config.toml` (or `.cargo/config`) in the
//! directory cargo runs in and in each ancestor, then `$CARGO_HOME/config.toml`, with
//! `CARGO_*` environment variables over all of them.
//!
//! The engine runs cargo in the workspace root, so that is the directory every lookup starts
//! from. Only the few keys the engine needs are read ([`CargoConfig::build_target`],
//! [`CargoConfig::target_dir`], [`CargoConfig::dep_info_basedir`]); the files themselves are
//! inputs of every build ([`CargoConfig::candidates`]), whatever keys they hold.

use std::path::{Path, PathBuf};

/// The configuration files cargo reads for a build run in one directory, closest first.
#[derive(Clone, Debug, Default)]
pub struct CargoConfig {
    files: Vec<(PathBuf, toml::Table)>,
}

impl CargoConfig {
    /// Every path where cargo looks for configuration when it runs in `cwd`, whether a file is
    /// there or not (a file that appears later changes the build too), closest first.
    pub fn candidates(cwd: &Path) -> Vec<PathBuf> {
        let mut paths = Vec::new();
        for dir in cwd.ancestors() {
            for name in ["config.toml", "config"] {
                paths.push(dir.join(".cargo").join(name));
            }
        }
        if let Some(home) = cargo_home() {
            for name in ["config.toml", "config"] {
                let path = home.join(name);
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
        paths
    }

    /// Reads the configuration files that exist for a build run in `cwd`. A file that does not
    /// parse is skipped here: cargo itself reports it when it runs.
    pub fn load(cwd: &Path) -> CargoConfig {
        let files = Self::candidates(cwd)
            .into_iter()
            .filter_map(|path| {
                let text = std::fs::read_to_string(&path).ok()?;
                Some((path, text.parse().ok()?))
            })
            .collect();
        CargoConfig { files }
    }

    /// `build.target`, or `CARGO_BUILD_TARGET`: the triple builds are for when it is not the
    /// host's. Cargo also accepts a list or a path to a target specification; the engine keys
    /// records on the first entry as written.
    pub fn build_target(&self) -> Option<String> {
        if let Some(target) = env_value("CARGO_BUILD_TARGET") {
            return Some(target);
        }
        self.files
            .iter()
            .find_map(|(_, table)| match table.get("build")?.get("target")? {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Array(list) => list.first()?.as_str().map(str::to_owned),
                _ => None,
            })
    }

    /// `build.target-dir` (or `CARGO_TARGET_DIR`, `CARGO_BUILD_TARGET_DIR`), absolute: a
    /// variable relative to `cwd`, a configured path relative to the directory holding the
    /// `.cargo` directory it is configured in.
    pub fn target_dir(&self, cwd: &Path) -> Option<PathBuf> {
        for var in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"] {
            if let Some(dir) = env_value(var) {
                // Relative to where the user stands, as for their own cargo; the engine runs
                // cargo with the absolute path.
                let here = std::env::current_dir().unwrap_or_else(|_| cwd.to_owned());
                return Some(here.join(dir));
            }
        }
        self.path_value("target-dir")
    }

    /// `build.dep-info-basedir` (or `CARGO_BUILD_DEP_INFO_BASEDIR`): the directory cargo makes
    /// the paths of its dep-info files relative to.
    pub fn dep_info_basedir(&self, cwd: &Path) -> Option<PathBuf> {
        if let Some(dir) = env_value("CARGO_BUILD_DEP_INFO_BASEDIR") {
            return Some(cwd.join(dir));
        }
        self.path_value("dep-info-basedir")
    }

    fn path_value(&self, key: &str) -> Option<PathBuf> {
        self.files.iter().find_map(|(path, table)| {
            let value = table.get("build")?.get(key)?.as_str()?;
            // `<dir>/.cargo/config.toml`: relative to `<dir>`.
            let base = path.parent()?.parent()?;
            Some(base.join(value))
        })
    }
}

/// `$CARGO_HOME`, or `~/.cargo`.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

fn env_value(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_file_wins_and_paths_are_relative_to_the_config_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inner = dir.path().join("a/b");
        std::fs::create_dir_all(inner.join(".cargo")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join(".cargo")).expect("mkdir");
        std::fs::write(
            inner.join(".cargo/config.toml"),
            "[build]\ndep-info-basedir = \".\"\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join(".cargo/config.toml"),
            "[build]\ndep-info-basedir = \"outer\"\ntarget-dir = \"out\"\n",
        )
        .expect("write");
        let config = CargoConfig::load(&inner);
        assert_eq!(config.dep_info_basedir(&inner), Some(inner.join(".")));
        if std::env::var_os("CARGO_TARGET_DIR").is_none()
            && std::env::var_os("CARGO_BUILD_TARGET_DIR").is_none()
        {
            assert_eq!(config.target_dir(&inner), Some(dir.path().join("out")));
        }
        let candidates = CargoConfig::candidates(&inner);
        assert_eq!(candidates[0], inner.join(".cargo/config.toml"));
        assert!(candidates.contains(&PathBuf::from("/.cargo/config.toml")));
    }
}
