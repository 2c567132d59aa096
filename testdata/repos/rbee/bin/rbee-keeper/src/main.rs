//! The CLI: spawns queen-rbee.

fn main() {
    println!("{}", narration_core::narrate("rbee-keeper", "hello"));
    println!("{}", daemon_lifecycle::start("queen-rbee"));
}
