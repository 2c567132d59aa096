fn main() {
    println!("llm-worker-rbee-metal {}", worker_core::describe());
}
