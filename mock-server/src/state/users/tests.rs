use super::*;

#[test]
fn email_and_phone_shapes() {
    for ok in ["a@b.co", "first.last+tag@sub.example.org"] {
        assert!(valid_email(ok), "{ok}");
    }
    let long_local = format!("{}@b.co", "a".repeat(65));
    let long_total = format!("a@{}.co", "b".repeat(250));
    for bad in [
        "",
        "a",
        "a@b",
        "@b.co",
        "a@@b.co",
        "a b@c.co",
        "a@b.",
        "a@.co",
        "a@b..co",
        "a\0@b.co",
        "a\u{202e}@b.co",
        "a\u{200b}@b.co",
        "a@b.co\u{feff}",
        "a\u{7f}@b.co",
        &long_local,
        &long_total,
    ] {
        assert!(!valid_email(bad), "{bad:?}");
    }
    assert!(valid_email(&format!("{}@b.co", "a".repeat(64))));
    assert!(valid_email(&format!("a@{}.co", "b".repeat(249))));
    assert!(
        valid_email("josé@exämple.org"),
        "letters outside ASCII are fine"
    );
    for ok in ["+15558675309", "+12", "+123456789012345"] {
        assert!(valid_phone(ok), "{ok}");
    }
    for bad in [
        "15558675309",
        "+0555",
        "+1",
        "+1234567890123456",
        "+1-555",
        "",
    ] {
        assert!(!valid_phone(bad), "{bad}");
    }
}
