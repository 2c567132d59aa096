#[tk_core::main]
fn main() {
    #[cfg(windows)]
    let _ = tk_win::console();
    println!("{} {}", tk_cli::run(), env!("TK_CLI_PROBE"));
}
