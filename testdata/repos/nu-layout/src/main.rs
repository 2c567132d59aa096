fn main() { println!("{}", nu::run()); }
