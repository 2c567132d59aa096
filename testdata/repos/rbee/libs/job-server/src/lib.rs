//! A queue of jobs.

/// Submits job `id`, returning its narration.
pub fn submit(id: u64) -> String {
    narration_core::narrate("job-server", &narration_core::format_count(id))
}

#[cfg(test)]
mod tests {
    #[test]
    fn submits() {
        let id = fastrand::u64(..);
        test_harness::assert_contains(&super::submit(id), "job-server");
    }
}
