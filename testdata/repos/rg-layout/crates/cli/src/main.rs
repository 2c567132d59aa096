fn main() { println!("{}", grep_cli::is_tty()); }
