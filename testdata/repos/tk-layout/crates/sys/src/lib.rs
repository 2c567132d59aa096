pub const PROBE: &str = env!("TK_SYS_PROBE");
