//! Commit ids as the engine's answers carry them, without gix's types.

use std::fmt;

/// The id of a commit (40 hex digits with SHA-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId(gix::ObjectId);

impl CommitId {
    /// The first 10 hex digits, as the CLI shows commits.
    pub fn short(&self) -> String {
        self.0.to_hex_with_len(10).to_string()
    }

    pub(crate) fn object_id(self) -> gix::ObjectId {
        self.0
    }
}

impl From<gix::ObjectId> for CommitId {
    fn from(id: gix::ObjectId) -> CommitId {
        CommitId(id)
    }
}

/// The full hex id.
impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
