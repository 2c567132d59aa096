pub fn probe() -> String {
    narration_core::narrate("hive-probe", "probing")
}
