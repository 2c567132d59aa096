//! The operations, one module each: what the crate root exports and the CLI calls.

pub(crate) mod affected;
pub(crate) mod build;
pub(crate) mod doctor;
pub(crate) mod ensure;
pub(crate) mod explain;
pub(crate) mod plan;
pub(crate) mod select;
pub(crate) mod status;
#[cfg(feature = "watch")]
pub(crate) mod watch;
pub(crate) mod workspace;
