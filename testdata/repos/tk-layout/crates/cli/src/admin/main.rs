mod users;

fn main() {
    println!("{} {}", tk_cli::run(), users::count());
}
