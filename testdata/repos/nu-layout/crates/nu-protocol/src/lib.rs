pub const VERSION: &str = env!("NU_PROTOCOL_ABI");
