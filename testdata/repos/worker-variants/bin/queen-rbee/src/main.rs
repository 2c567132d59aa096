fn main() {
    println!("queen-rbee backends={}", worker_core::backends().join(","));
}
