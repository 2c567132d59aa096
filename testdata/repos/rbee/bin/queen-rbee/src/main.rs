fn main() {
    println!("{}", narration_core::narrate("queen-rbee", "ready"));
    for line in queen_rbee::schedule(1) {
        println!("{line}");
    }
}
