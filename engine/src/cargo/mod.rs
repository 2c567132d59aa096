//! Cargo: its configuration and layout as cargo resolves them, `cargo metadata` at any end of
//! a comparison (with its cache), the toolchain and the environment it reads, profiles and
//! flags, running builds and reading back what they did (JSON messages, dep-info).

pub(crate) mod config;
pub(crate) mod depinfo;
pub(crate) mod flags;
pub(crate) mod layout;
pub(crate) mod metadata_cache;
pub(crate) mod output;
pub(crate) mod profile;
pub(crate) mod run;
pub(crate) mod snapshot;
pub(crate) mod toolchain;
