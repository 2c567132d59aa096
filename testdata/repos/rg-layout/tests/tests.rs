mod util;

#[test]
fn runs() {
    assert!(util::ok());
}
