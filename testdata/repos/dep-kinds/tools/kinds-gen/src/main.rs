fn main() {
    println!("{}", kinds_gen::generated());
}
