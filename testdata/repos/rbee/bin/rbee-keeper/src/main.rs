//! The CLI: spawns queen-rbee.

fn main() {
    daemon_lifecycle::announce("rbee-keeper");
    if !daemon_lifecycle::spawn_next("queen-rbee") {
        std::process::exit(1);
    }
    narration_core::stay_if_supervised();
}
