fn main() {
    println!("llm-worker-rbee-cuda backends={}", worker_core::backends().join(","));
}
