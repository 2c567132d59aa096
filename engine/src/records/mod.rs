//! Build records: what each build read, kept in the target directory. The record format and
//! its store, the lock that serialises builds of one target directory, fingerprints of input
//! files, what a cargo run read (capture), what cargo last compiled, and read maps for CI.

pub(crate) mod capture;
pub(crate) mod compiled;
pub(crate) mod format;
pub(crate) mod inputs;
pub(crate) mod lock;
pub(crate) mod read_map;
pub(crate) mod test_reads;
