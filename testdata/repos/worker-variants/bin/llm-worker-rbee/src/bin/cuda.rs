fn main() {
    println!("llm-worker-rbee-cuda {}", worker_core::describe());
}
