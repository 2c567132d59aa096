#[test]
fn narrates() {
    assert_eq!(narration_core::narrate("queen", "start"), "[queen] start");
}
