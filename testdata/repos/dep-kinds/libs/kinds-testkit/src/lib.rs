pub fn check() -> bool {
    kinds_core::value() > 0
}
