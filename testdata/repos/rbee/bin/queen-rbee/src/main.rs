fn main() {
    daemon_lifecycle_free::announce();
    for line in queen_rbee::schedule(1) {
        println!("{line}");
    }
    if !hive_lifecycle::spawn_hive() {
        std::process::exit(1);
    }
    narration_core::stay_if_supervised();
}

/// queen-rbee has no direct dependency on daemon-lifecycle; it announces itself the same way.
mod daemon_lifecycle_free {
    pub fn announce() {
        let line = format!("started pid={} mark={}", std::process::id(), narration_core::MARK);
        println!("{}", narration_core::narrate("queen-rbee", &line));
    }
}
