//! Is a binary fresh? Facts gathered about the world now, compared with a record by one
//! decision: the full check (with the workspace graph), the pre-spawn fast path (without), and
//! the decision they share.

pub(crate) mod decide;
pub(crate) mod freshness;
pub(crate) mod host;
pub(crate) mod quick;
