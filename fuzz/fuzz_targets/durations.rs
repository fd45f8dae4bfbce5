//! The duration grammar of links and tokens (`"30 seconds"`, `"1 week"`, `"2days"`, C-8.3):
//! any text either parses into the documented bounds or is refused with 400 `Invalid duration`,
//! and a valid link duration is a valid token duration of the same length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use userfront_mock::msg;
use userfront_mock::state::messages::{parse_link_duration, parse_token_duration};

const SECOND: i64 = 1_000;
const DAY: i64 = 86_400 * SECOND;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let link = parse_link_duration(text);
    let token = parse_token_duration(text);
    for result in [&link, &token] {
        if let Err(e) = result {
            assert_eq!(e.status, 400, "{text:?}");
            assert_eq!(e.message, msg::INVALID_DURATION, "{text:?}");
        }
    }
    if let Ok(d) = link {
        assert!((10 * SECOND..=30 * DAY).contains(&d), "{text:?} -> {d}");
        assert_eq!(token.as_ref().ok(), Some(&d), "{text:?}");
    }
    if let Ok(d) = token {
        assert!((SECOND..=3650 * DAY).contains(&d), "{text:?} -> {d}");
    }
});
