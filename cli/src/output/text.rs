//! Small pieces of text every command's output shares: how a binary is named, how a count
//! reads, how wide a column is, how the head of a comparison is called.

use rbee_graph_engine::Head;

/// A binary as people read it: its name, and its package when that differs.
pub fn label(name: &str, package: &str) -> String {
    if name == package {
        name.to_owned()
    } else {
        format!("{name} ({package})")
    }
}

/// `1 binary`, `3 binaries`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The width of a column that holds these cells.
pub fn width(cells: impl IntoIterator<Item = String>) -> usize {
    cells
        .into_iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
}

/// The head of a comparison, short: a commit's short id, or `working tree`.
pub fn head(head: &Head) -> String {
    match head {
        Head::Commit(id) => id.short(),
        Head::Worktree => "working tree".to_owned(),
    }
}
