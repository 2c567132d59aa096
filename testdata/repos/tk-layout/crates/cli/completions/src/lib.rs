pub fn bash() -> &'static str { "complete -F _tk tk" }
