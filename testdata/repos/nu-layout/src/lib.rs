pub fn run() -> String {
    #[cfg(feature = "extra")]
    let _ = nu_cmd_extra::extra();
    format!("{} {}", nu_cli::repl(), nu_protocol::VERSION)
}
