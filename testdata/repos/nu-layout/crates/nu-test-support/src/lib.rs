pub fn expected() -> &'static str { nu_protocol::VERSION }
