//! Whether this machine can build a binary: the `requires` configuration (operating system,
//! environment variables, programs on `PATH`) checked against the machine.

use rbee_graph_model::rules::Config;
use rbee_graph_model::rules::config::{Requirement, Unbuildable};

/// Why this machine cannot build `binary`, if the `requires` configuration says so.
pub(crate) fn unbuildable(config: &Config, binary: &str) -> Option<Unbuildable> {
    unmet(config.requires.get(binary)?)
}

/// The first condition of `requirement` this machine does not meet.
fn unmet(requirement: &Requirement) -> Option<Unbuildable> {
    let this = std::env::consts::OS;
    if !requirement.os.is_empty() && !requirement.os.iter().any(|os| os == this) {
        return Some(Unbuildable::Os {
            needs: requirement.os.clone(),
            this: this.to_owned(),
        });
    }
    if let Some(var) = requirement
        .env
        .iter()
        .find(|var| std::env::var_os(var).is_none_or(|v| v.is_empty()))
    {
        return Some(Unbuildable::Env(var.clone()));
    }
    if let Some(program) = requirement.program.iter().find(|p| !on_path(p)) {
        return Some(Unbuildable::Program(program.clone()));
    }
    None
}

/// Whether `program` is an executable file in one of `PATH`'s directories.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(program))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}
