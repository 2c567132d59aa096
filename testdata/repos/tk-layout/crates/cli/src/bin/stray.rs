// With `autobins = false` this file is not a target of its own.
fn main() {}
