fn main() {
    println!("rbee-hive {}", worker_core::describe());
}
