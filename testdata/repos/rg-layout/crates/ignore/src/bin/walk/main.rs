mod args;

fn main() {
    println!("{} {}", args::root(), ignore::walk());
}
