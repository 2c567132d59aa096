pub fn query() -> String { nu_plugin::serve("query") }
