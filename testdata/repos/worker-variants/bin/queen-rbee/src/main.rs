fn main() {
    println!("queen-rbee {}", worker_core::describe());
}
