fn main() { println!("{}", tk_server::serve()); }
