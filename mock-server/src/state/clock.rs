//! The mock clock, and the timestamp format of the API.
//!
//! Every expiry, rate-limit window, `iat`/`exp` claim and `createdAt` comes from one [`Clock`], so
//! a test moves time forward with `POST /__mock/clock` instead of sleeping. The clock runs with
//! real time from an adjustable offset: advancing it by an hour makes every later reading an
//! hour later, and time keeps flowing from there.
//!
//! Times are milliseconds since the Unix epoch ([`Millis`]); [`format_iso`] renders them as the
//! API's ISO-8601 strings with milliseconds (`2024-05-15T23:04:50.787Z`) and [`parse_iso`] reads
//! dates and date-times back, so no calendar crate is needed.

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

/// The single notion of "now" of a mock instance.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Millis,
}

impl Clock {
    /// The current mock time.
    pub fn now(&self) -> Millis {
        real_now() + self.offset
    }

    /// Moves the clock forward (or back, with a negative value).
    pub fn advance(&mut self, millis: Millis) {
        self.offset = self.offset.saturating_add(millis);
    }

    /// Sets the clock so that "now" is `at`; time keeps flowing from there.
    pub fn set(&mut self, at: Millis) {
        self.offset = at - real_now();
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

/// (year, month, day) to days since the epoch.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Renders `2024-05-15T23:04:50.787Z`.
pub fn format_iso(t: Millis) -> String {
    let days = t.div_euclid(DAY);
    let ms = t.rem_euclid(DAY);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms / HOUR,
        (ms % HOUR) / MINUTE,
        (ms % MINUTE) / SECOND,
        ms % SECOND
    )
}

/// Parses `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z`, `±HH:MM` or nothing
/// (UTC). Returns `None` for anything else.
pub fn parse_iso(s: &str) -> Option<Millis> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)? as u32, num(8, 2)? as u32);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut t = days_from_civil(y, mo, d) * DAY;
    if b.len() == 10 {
        return Some(t);
    }
    if !(b[10] == b'T' || b[10] == b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (h, mi) = (num(11, 2)?, num(14, 2)?);
    if h > 23 || mi > 59 {
        return None;
    }
    t += h * HOUR + mi * MINUTE;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let sec = num(i + 1, 2)?;
        if sec > 60 {
            return None;
        }
        t += sec * SECOND;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            let frac = &s[start..end.min(start + 3)];
            let ms: i64 = frac.parse().ok()?;
            t += ms * 10_i64.pow(3 - frac.len() as u32);
            i = end;
        }
    }
    match &s[i..] {
        "" | "Z" | "z" => Some(t),
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":" => {
            let oh = num(i + 1, 2)?;
            let om = num(i + 4, 2)?;
            let off = oh * HOUR + om * MINUTE;
            Some(if tz.starts_with('+') {
                t - off
            } else {
                t + off
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let t = 1_715_814_290_787;
        assert_eq!(format_iso(t), "2024-05-15T23:04:50.787Z");
        assert_eq!(parse_iso("2024-05-15T23:04:50.787Z"), Some(t));
        assert_eq!(format_iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            parse_iso("2024-02-29"),
            Some(days_from_civil(2024, 2, 29) * DAY)
        );
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
    }
}
