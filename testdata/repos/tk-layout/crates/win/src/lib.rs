cfg_if::cfg_if! {
    if #[cfg(windows)] {
        pub fn console() -> bool { true }
    } else {
        pub fn console() -> bool { false }
    }
}
