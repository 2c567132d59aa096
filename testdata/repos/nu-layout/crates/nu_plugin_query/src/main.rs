fn main() { println!("{}", nu_plugin_query::query()); }
