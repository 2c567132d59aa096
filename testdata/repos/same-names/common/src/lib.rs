//! Shared by both servers.

/// The port a server listens on.
pub fn port(offset: u16) -> u16 {
    8080 + offset
}
