//! The mock clock, and the timestamp format of the API.
//!
//! Every expiry, rate-limit window, `iat`/`exp` claim and `createdAt` comes from one [`Clock`], so
//! a test moves time forward with `POST /__mock/clock` instead of sleeping. The clock runs with
//! real time from an adjustable offset: advancing it by an hour makes every later reading an
//! hour later, and time keeps flowing from there.
//!
//! Times are milliseconds since the Unix epoch ([`Millis`]); [`format_iso`] renders them as the
//! API's ISO-8601 strings with milliseconds (`2024-05-15T23:04:50.787Z`) and [`parse_iso`] reads
//! dates and date-times back, with `jiff`'s calendar so impossible dates are refused.
//!
//! Mock time always stays within [`EARLIEST`]..=[`LATEST`] (1970 to the end of year 9999): the
//! control surface refuses to move it outside, so no expiry, JWT claim or timestamp can overflow
//! or render as a year the API's 4-digit format cannot hold.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// One second in [`Millis`].
pub const SECOND: Millis = 1_000;
/// One minute in [`Millis`].
pub const MINUTE: Millis = 60 * SECOND;
/// One hour in [`Millis`].
pub const HOUR: Millis = 60 * MINUTE;
/// One day in [`Millis`].
pub const DAY: Millis = 24 * HOUR;

/// The earliest mock time: the Unix epoch (JWT dates are not negative).
pub const EARLIEST: Millis = 0;
/// The latest mock time: 9999-12-31T23:59:59.999Z.
pub const LATEST: Millis = 253_402_300_799_999;

/// The single notion of "now" of a mock instance.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Millis,
}

impl Clock {
    /// The current mock time, within [`EARLIEST`]..=[`LATEST`].
    pub fn now(&self) -> Millis {
        real_now()
            .saturating_add(self.offset)
            .clamp(EARLIEST, LATEST)
    }

    /// Moves the clock forward (or back, with a negative value), stopping at the bounds; used
    /// to restore a saved offset. Input from a request goes through [`Clock::try_advance`].
    pub fn advance(&mut self, millis: Millis) {
        self.offset = self.offset.saturating_add(millis);
    }

    /// Moves the clock by `millis` if "now" stays within the bounds; `None` (and no change)
    /// otherwise.
    pub fn try_advance(&mut self, millis: Millis) -> Option<Millis> {
        let at = self.now().checked_add(millis)?;
        if !(EARLIEST..=LATEST).contains(&at) {
            return None;
        }
        self.offset = at - real_now();
        Some(at)
    }

    /// Sets the clock so that "now" is `at` (clamped to the bounds); time keeps flowing from
    /// there.
    pub fn set(&mut self, at: Millis) {
        self.offset = at.clamp(EARLIEST, LATEST) - real_now();
    }

    /// How far the mock clock runs ahead of real time (negative: behind).
    pub fn offset(&self) -> Millis {
        self.offset
    }

    /// Back to real time.
    pub fn reset(&mut self) {
        self.offset = 0;
    }
}

fn real_now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Days since the epoch to (year, month, day), proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Renders `2024-05-15T23:04:50.787Z`.
pub fn format_iso(t: Millis) -> String {
    IsoText::of(t).as_str().to_owned()
}

/// The ISO-8601 text of a time, on the stack: every User, Session and Tenant answer renders
/// several, so they are written digit by digit instead of through `format!` (which was 5 % of
/// `GET /v0/self`). Years outside 0000–9999 cannot come from the clock's accepted input; they
/// render clamped rather than in a different shape.
pub struct IsoText([u8; 24]);

impl IsoText {
    /// The text of `t`.
    pub fn of(t: Millis) -> Self {
        let days = t.div_euclid(DAY);
        let ms = t.rem_euclid(DAY);
        let (y, mo, d) = civil_from_days(days);
        let y = y.clamp(0, 9999) as u32;
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, mo);
        put(8, 2, d);
        put(11, 2, (ms / HOUR) as u32);
        put(14, 2, ((ms % HOUR) / MINUTE) as u32);
        put(17, 2, ((ms % MINUTE) / SECOND) as u32);
        put(20, 3, (ms % SECOND) as u32);
        IsoText(out)
    }

    /// The text (always ASCII).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("0000-00-00T00:00:00.000Z")
    }
}

/// Parses `YYYY-MM-DD` (midnight UTC), or `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z`,
/// `±HH:MM` or nothing (UTC), years 0000 to 9999. The calendar is `jiff`'s, so a
/// day the month does not have (`2030-02-31`), an hour 24 or an offset such as `+99:99` is
/// refused rather than rolled over. Returns `None` for anything else.
pub fn parse_iso(s: &str) -> Option<Millis> {
    let s = s.trim();
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    // The documented shape only: jiff would also take ISO 8601 basic forms (`20300101`),
    // six-digit years and bracketed time zones, which no API field documents.
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let dashes = b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-');
    if !(dashes && digits(0..4) && digits(5..7) && digits(8..10)) {
        return None;
    }
    let millis = if b.len() == 10 {
        let date: jiff::civil::Date = s.parse().ok()?;
        date.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_millisecond()
    } else {
        if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
            return None;
        }
        let rest = &s[16..];
        let zone = rest.find(['Z', 'z', '+', '-']);
        match zone {
            Some(i) => {
                let tz = &rest[i..];
                // Real offsets lie within ±14:00; jiff alone would take up to ±25:59.
                let offset_ok = matches!(tz, "Z" | "z")
                    || (tz.len() == 6
                        && tz.as_bytes()[3] == b':'
                        && tz[1..3].parse::<u8>().is_ok_and(|h| h <= 23));
                if !offset_ok {
                    return None;
                }
                let at: jiff::Timestamp = s.parse().ok()?;
                at.as_millisecond()
            }
            None => {
                let at: jiff::civil::DateTime = s.parse().ok()?;
                at.to_zoned(jiff::tz::TimeZone::UTC)
                    .ok()?
                    .timestamp()
                    .as_millisecond()
            }
        }
    };
    Some(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digit-by-digit renderer agrees with `jiff`'s calendar across four centuries
    /// (leap days, month ends, millisecond edges), stepping by an odd stride.
    #[test]
    fn renders_as_jiff_does() {
        let (start, end) = (-2_208_988_800_000i64, 32_503_680_000_000i64); // 1900 to 3000
        let stride = 86_400_000 * 37 + 3_723_457;
        let mut t = start;
        for _ in 0..20_000 {
            if t >= end {
                break;
            }
            let expected = jiff::Timestamp::from_millisecond(t)
                .expect("in range")
                .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            assert_eq!(IsoText::of(t).as_str(), expected, "{t}");
            t += stride;
        }
        assert_eq!(IsoText::of(end - 1).as_str(), "2999-12-31T23:59:59.999Z");
        assert_eq!(
            IsoText::of(951_782_400_000).as_str(),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn formats_and_parses_round_trip() {
        let t = 1_715_814_290_787;
        assert_eq!(format_iso(t), "2024-05-15T23:04:50.787Z");
        assert_eq!(parse_iso("2024-05-15T23:04:50.787Z"), Some(t));
        assert_eq!(format_iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(parse_iso("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_iso("2024-05-15 23:04:50.787Z"), Some(t));
        assert_eq!(parse_iso("2024-05-15T23:04:50.787-00:00"), Some(t));
        assert_eq!(
            parse_iso("2024-05-16T01:04:50.787+02:00"),
            Some(t),
            "offsets are applied"
        );
        assert_eq!(parse_iso("2024-05-15T23:04"), Some(t - 50_787));
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-05-15T25:00",
            "2024-05-15Tx",
            "2030-02-31",
            "2023-02-29",
            "2030-04-31T00:00Z",
            "2030-01-01T00:00+99:99",
            "2030-01-01T00:00+24:00",
            "2030-01-01T00:00+02:60",
            "2030-01-01T24:00Z",
            "20300101",
            "+002030-01-01",
            "2030-01-01T00:00Z[Europe/Paris]",
            "2030-01-01T00:00:00.5Zjunk",
            "2030-01-01T0é:00",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn clock_moves_only_when_told() {
        let mut clock = Clock::default();
        let before = clock.now();
        clock.advance(DAY);
        assert!(clock.now() >= before + DAY);
        clock.set(0);
        assert!(clock.now() < 10 * SECOND);
        assert_eq!(clock.try_advance(-DAY), None, "before the epoch");
        assert_eq!(clock.try_advance(Millis::MAX), None, "past year 9999");
        assert!(
            clock.now() < 10 * SECOND,
            "a refused advance changes nothing"
        );
        clock.advance(Millis::MAX);
        clock.advance(Millis::MAX);
        assert_eq!(
            clock.now(),
            LATEST,
            "a restored offset saturates at the bound"
        );
    }
}
