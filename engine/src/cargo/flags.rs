//! Cargo's own flags, as a user gives them to `cargo build`, and the feature request each
//! binary is built with.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The flags of `cargo build` that rbee-graph passes through to every cargo it runs. The
/// defaults are cargo's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CargoFlags {
    /// `--features`: as cargo takes them (`a,b`, `pkg/feat`), one entry per flag or name.
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `--target TRIPLE`; `None` is `build.target` or `CARGO_BUILD_TARGET`, else the host.
    pub target: Option<String>,
    /// `--locked`.
    pub locked: bool,
    /// `--frozen`.
    pub frozen: bool,
    /// `--offline`.
    pub offline: bool,
    /// `-j N` (cargo also takes `default` and negative numbers).
    pub jobs: Option<String>,
    /// `-v` given this many times.
    pub verbose: u8,
    /// `-q`.
    pub quiet: bool,
    /// `--color auto|always|never`.
    pub color: Option<String>,
}

impl CargoFlags {
    /// The flags that change what cargo reads or fetches, for `cargo metadata` too.
    pub(crate) fn resolution_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (on, flag) in [
            (self.locked, "--locked"),
            (self.frozen, "--frozen"),
            (self.offline, "--offline"),
        ] {
            if on {
                args.push(flag.to_owned());
            }
        }
        args
    }

    /// The flags of a `cargo build` that do not select what is built: resolution, jobs,
    /// verbosity, colour.
    pub(crate) fn build_args(&self) -> Vec<String> {
        let mut args = self.resolution_args();
        if let Some(jobs) = &self.jobs {
            args.extend(["--jobs".to_owned(), jobs.clone()]);
        }
        for _ in 0..self.verbose {
            args.push("--verbose".to_owned());
        }
        if self.quiet {
            args.push("--quiet".to_owned());
        }
        if let Some(color) = &self.color {
            args.extend(["--color".to_owned(), color.clone()]);
        }
        args
    }

    /// The feature request for a binary that requires `required` features of `package`.
    pub fn request_for(&self, package: &str, required: &[String]) -> FeatureRequest {
        let mut features: BTreeSet<String> = self
            .features
            .iter()
            .flat_map(|list| list.split([',', ' ']))
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        if !self.all_features {
            features.extend(required.iter().map(|f| format!("{package}/{f}")));
        }
        FeatureRequest {
            features,
            all_features: self.all_features,
            no_default_features: self.no_default_features,
        }
    }
}

/// The feature flags one cargo run is given: what a binary's record is keyed on. Binaries whose
/// requests differ never share a run, so that none is compiled with another's features.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FeatureRequest {
    /// `--features`, each as cargo takes it (`pkg/feat` for a binary's required features).
    pub features: BTreeSet<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
}

impl FeatureRequest {
    /// The cargo arguments.
    pub fn cargo_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if !self.features.is_empty() {
            let list: Vec<&str> = self.features.iter().map(String::as_str).collect();
            args.extend(["--features".to_owned(), list.join(",")]);
        }
        if self.all_features {
            args.push("--all-features".to_owned());
        }
        if self.no_default_features {
            args.push("--no-default-features".to_owned());
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_features_are_named_with_their_package() {
        let flags = CargoFlags {
            features: vec!["a,b".to_owned(), "x/c".to_owned()],
            ..CargoFlags::default()
        };
        let request = flags.request_for("worker", &["cuda".to_owned()]);
        assert_eq!(
            request.cargo_args(),
            ["--features", "a,b,worker/cuda,x/c"],
            "one sorted --features list"
        );
    }

    #[test]
    fn all_features_needs_no_required_ones() {
        let flags = CargoFlags {
            all_features: true,
            ..CargoFlags::default()
        };
        let request = flags.request_for("worker", &["cuda".to_owned()]);
        assert_eq!(request.cargo_args(), ["--all-features"]);
    }
}
