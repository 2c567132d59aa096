fn main() {
    println!("{}", narration_core::narrate("demo", "run"));
}
