fn main() {
    println!("admin server on {}", common::port(1));
}
