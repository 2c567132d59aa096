fn main() { println!("{}", nu_plugin::serve("inc")); }
