fn main() { println!("{}", tk_completions::bash()); }
