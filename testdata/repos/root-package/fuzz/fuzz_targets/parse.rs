fn main() {
    let input = std::env::args().nth(1).unwrap_or_default();
    println!("{}", input.len());
}
