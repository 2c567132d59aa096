fn main() {
    println!("api server on {}", common::port(0));
}
