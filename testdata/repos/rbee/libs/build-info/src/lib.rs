//! Build-time information, used from build scripts.

/// The label written into binaries that use it.
pub fn label() -> &'static str {
    "rbee-build-1"
}
