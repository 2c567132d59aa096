fn main() {
    println!("{}", narration_core::narrate("hive-check", "ok"));
}
