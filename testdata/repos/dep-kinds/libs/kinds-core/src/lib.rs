pub fn value() -> u32 {
    kinds_macros::base() + env!("KINDS_CORE_GEN").len() as u32
}
