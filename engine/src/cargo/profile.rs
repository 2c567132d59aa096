//! Cargo profiles: which one to build, and where its binaries land.

use std::path::{Path, PathBuf};

/// A cargo profile (`dev`, `release` or a custom one).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Profile(String);

impl Profile {
    /// The default profile of `cargo build`.
    pub fn dev() -> Profile {
        Profile("dev".to_owned())
    }

    /// `--release`.
    pub fn release() -> Profile {
        Profile("release".to_owned())
    }

    /// The profile this process was built with, for a daemon that spawns binaries built
    /// like itself: the directory its executable sits in under a target directory
    /// (`target/release/queen-rbee` is `release`, `target/<triple>/debug/..` is `dev`), else
    /// `dev` or `release` as debug assertions are on or off.
    pub fn current() -> Profile {
        std::env::current_exe()
            .ok()
            .and_then(|exe| Profile::of_executable(&exe))
            .unwrap_or_else(|| {
                if cfg!(debug_assertions) {
                    Profile::dev()
                } else {
                    Profile::release()
                }
            })
    }

    /// The profile of an executable in a cargo target directory, from the name of the
    /// directory it sits in (`deps/` and `examples/` one level further down).
    pub fn of_executable(exe: &Path) -> Option<Profile> {
        let mut dir = exe.parent()?;
        if matches!(dir.file_name()?.to_str()?, "deps" | "examples" | "build") {
            dir = dir.parent()?;
        }
        // Only inside a target directory: cargo leaves a `CACHEDIR.TAG` at its top.
        let is_target = dir
            .ancestors()
            .skip(1)
            .take(2)
            .any(|d| d.join("CACHEDIR.TAG").is_file());
        if !is_target {
            return None;
        }
        Some(match dir.file_name()?.to_str()? {
            "debug" => Profile::dev(),
            other => Profile::named(other),
        })
    }

    /// A profile by name (`dev`, `release`, or one defined in `[profile.NAME]`).
    pub fn named(name: &str) -> Profile {
        Profile(name.to_owned())
    }

    /// The profile to use: the one asked for (`--release`, `--profile`), else
    /// `RBEE_GRAPH_PROFILE`, else the configured one, else `dev`.
    pub fn choose(asked: Option<&Profile>, configured: Option<&str>) -> Profile {
        asked
            .cloned()
            .or_else(|| {
                std::env::var("RBEE_GRAPH_PROFILE")
                    .ok()
                    .map(|p| Profile::named(&p))
            })
            .or_else(|| configured.map(Profile::named))
            .unwrap_or_else(Profile::dev)
    }

    /// The profile name.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The directory under the target directory that holds this profile's binaries: `debug`
    /// for `dev` (cargo's historical name), the profile name otherwise.
    pub fn dir_name(&self) -> &str {
        match self.0.as_str() {
            "dev" | "test" => "debug",
            "bench" => "release",
            other => other,
        }
    }

    /// Where this profile's outputs land: `<target-dir>/[<triple>/]<profile>`, with the triple
    /// when one is asked for (`--target`, `CARGO_BUILD_TARGET`, `build.target`).
    pub fn output_dir(&self, target_directory: &Path, target: Option<&str>) -> PathBuf {
        match target {
            Some(triple) => target_directory.join(triple).join(self.dir_name()),
            None => target_directory.join(self.dir_name()),
        }
    }

    /// The cargo arguments that select this profile.
    pub fn cargo_args(&self) -> Vec<String> {
        match self.0.as_str() {
            "dev" => Vec::new(),
            "release" => vec!["--release".to_owned()],
            other => vec!["--profile".to_owned(), other.to_owned()],
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_of_an_executable_is_the_directory_cargo_put_it_in() {
        let target = tempfile::tempdir().expect("a target directory");
        std::fs::write(target.path().join("CACHEDIR.TAG"), "").expect("tag");
        let of = |rel: &str| Profile::of_executable(&target.path().join(rel));
        assert_eq!(of("debug/queen-rbee"), Some(Profile::dev()));
        assert_eq!(of("release/queen-rbee"), Some(Profile::release()));
        assert_eq!(
            of("x86_64-unknown-linux-gnu/release/queen-rbee"),
            Some(Profile::release())
        );
        assert_eq!(of("ci/deps/queen_rbee-0123"), Some(Profile::named("ci")));
        assert_eq!(
            Profile::of_executable(Path::new("/usr/local/bin/queen-rbee")),
            None,
            "an installed binary says nothing"
        );
    }
}
