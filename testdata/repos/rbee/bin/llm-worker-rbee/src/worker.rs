fn main() {
    println!("{}", llm_worker_rbee::describe());
}
