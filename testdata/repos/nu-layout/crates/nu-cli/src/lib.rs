pub fn repl() -> &'static str {
    nu_protocol::VERSION
}

#[cfg(test)]
mod tests {
    cfg_if::cfg_if! {
        if #[cfg(unix)] {
            #[test]
            fn repl() {
                assert_eq!(super::repl(), nu_test_support::expected());
            }
        }
    }
}
