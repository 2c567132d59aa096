fn main() {
    println!("llm-worker-rbee-cpu backends={}", worker_core::backends().join(","));
}
