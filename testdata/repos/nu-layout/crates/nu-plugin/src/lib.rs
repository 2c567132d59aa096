pub fn serve(name: &str) -> String { format!("{name} {}", nu_protocol::VERSION) }
