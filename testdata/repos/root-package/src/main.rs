fn main() {
    println!("root-app uses {}", inner::name());
}
