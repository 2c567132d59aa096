pub fn extra() -> &'static str { nu_protocol::VERSION }
