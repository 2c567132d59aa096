fn main() {
    println!("llm-worker-rbee-metal backends={}", worker_core::backends().join(","));
}
