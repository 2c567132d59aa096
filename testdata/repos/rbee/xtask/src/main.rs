//! Workspace chores.

fn main() {
    println!("xtask: nothing to do");
}

#[cfg(test)]
mod tests {
    #[test]
    fn harness_works() {
        test_harness::assert_contains("xtask", "task");
    }
}
