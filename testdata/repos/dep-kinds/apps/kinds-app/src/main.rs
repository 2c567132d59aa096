fn main() {
    println!("{} {}", kinds_core::value(), env!("KINDS_GEN"));
}
