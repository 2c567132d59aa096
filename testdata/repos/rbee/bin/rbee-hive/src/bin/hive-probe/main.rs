mod util;

fn main() {
    println!("{}", util::probe());
}
