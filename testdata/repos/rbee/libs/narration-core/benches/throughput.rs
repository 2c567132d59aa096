fn main() {
    let mut total = 0;
    for i in 0..1000 {
        total += narration_core::format_count(i).len();
    }
    println!("{total}");
}
