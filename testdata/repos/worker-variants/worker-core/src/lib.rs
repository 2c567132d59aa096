//! The backends compiled in, as the real rbee worker's inference core selects them.

/// The backends this build was compiled with, in a fixed order.
pub fn backends() -> Vec<&'static str> {
    let mut on = Vec::new();
    if cfg!(feature = "cpu") {
        on.push("cpu");
    }
    if cfg!(feature = "cuda") {
        on.push("cuda");
    }
    if cfg!(feature = "metal") {
        on.push("metal");
    }
    on
}
