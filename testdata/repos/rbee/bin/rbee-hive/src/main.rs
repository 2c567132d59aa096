fn main() {
    println!("{}", narration_core::narrate("rbee-hive", "ready"));
    println!("{}", rbee_hive::start_worker());
}
