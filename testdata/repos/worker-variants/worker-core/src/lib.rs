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

/// `backends=cpu narration=off`: what this build was compiled with. `narration` is enabled
/// by `rbee-hive`'s dependency, so it is on wherever cargo unifies features across the
/// workspace (a plain `cargo build --bin NAME` in a virtual workspace) and off with `-p`.
pub fn describe() -> String {
    let narration = if cfg!(feature = "narration") { "on" } else { "off" };
    format!("backends={} narration={narration}", backends().join(","))
}
