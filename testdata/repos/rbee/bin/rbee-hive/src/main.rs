fn main() {
    daemon_lifecycle::announce("rbee-hive");
    if !daemon_lifecycle::spawn_next("llm-worker-rbee") {
        std::process::exit(1);
    }
    narration_core::stay_if_supervised();
}
