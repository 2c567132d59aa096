cfg_if::cfg_if! {
    if #[cfg(unix)] {
        pub const NAME: &str = "unix";
    } else {
        pub const NAME: &str = "other";
    }
}
