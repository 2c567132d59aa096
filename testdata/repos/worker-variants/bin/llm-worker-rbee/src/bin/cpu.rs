fn main() {
    println!("llm-worker-rbee-cpu {}", worker_core::describe());
}
