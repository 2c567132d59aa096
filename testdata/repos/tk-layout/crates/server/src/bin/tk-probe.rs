fn main() { println!("probe {}", tk_server::serve()); }
