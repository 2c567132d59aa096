fn main() {
    println!("{}", inner::name());
}
