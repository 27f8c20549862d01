//! Timestamps: milliseconds since the epoch, and RFC 3339 text.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Appends `ms` (milliseconds since the Unix epoch, as [`unix_ms`] gives)
/// as an RFC 3339 UTC string literal with milliseconds:
/// `"2026-11-22T10:00:00.123Z"`.
pub(crate) fn push_timestamp(out: &mut Vec<u8>, ms: u64) {
    // Events come many to a second: each thread keeps the last second's
    // `YYYY-MM-DDTHH:MM:SS` and only writes the milliseconds.
    thread_local! {
        static SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };
    }
    let secs = ms / 1000;
    let date = SECOND
        .try_with(|cached| match cached.get() {
            (s, date) if s == secs => date,
            _ => {
                let date = second_text(secs);
                cached.set((secs, date));
                date
            }
        })
        .unwrap_or_else(|_| second_text(secs));
    let millis = ms % 1000;
    out.push(b'"');
    out.extend_from_slice(&date);
    out.extend_from_slice(&[
        b'.',
        b'0' + (millis / 100) as u8,
        b'0' + (millis / 10 % 10) as u8,
        b'0' + (millis % 10) as u8,
        b'Z',
        b'"',
    ]);
}

/// `YYYY-MM-DDTHH:MM:SS` of a second since the Unix epoch.
fn second_text(secs: u64) -> [u8; 19] {
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let sod = secs % 86_400;
    let y = y.clamp(0, 9999) as u64;
    let mut out = [0u8; 19];
    for (at, n) in [
        (0, y / 100),
        (2, y % 100),
        (5, u64::from(m)),
        (8, u64::from(d)),
        (11, sod / 3600),
        (14, sod / 60 % 60),
        (17, sod % 60),
    ] {
        out[at] = b'0' + (n / 10) as u8;
        out[at + 1] = b'0' + (n % 10) as u8;
    }
    for (at, sep) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
        out[at] = sep;
    }
    out
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::json::tests::s;
    use std::time::Duration;

    #[test]
    fn consecutive_timestamps_across_seconds_and_days() {
        for ms in [
            1_795_341_599_999u64,
            1_795_341_600_000,
            1_795_341_600_001,
            1_795_391_999_999,
            1_795_392_000_000,
        ] {
            let t = UNIX_EPOCH + Duration::from_millis(ms);
            let json = s(|o| push_timestamp(o, unix_ms(t)));
            let secs = ms / 1000;
            let (y, m, d) = civil_from_days((secs / 86_400) as i64);
            let sod = secs % 86_400;
            let expected = format!(
                "\"{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z\"",
                sod / 3600,
                sod / 60 % 60,
                sod % 60,
                ms % 1000
            );
            assert_eq!(json, expected);
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_millis() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_341_600_123);
        assert_eq!(
            s(|o| push_timestamp(o, unix_ms(t))),
            "\"2026-11-22T10:00:00.123Z\""
        );
        assert_eq!(
            s(|o| push_timestamp(o, unix_ms(UNIX_EPOCH))),
            "\"1970-01-01T00:00:00.000Z\""
        );
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_599);
        assert_eq!(
            s(|o| push_timestamp(o, unix_ms(leap))),
            "\"2000-02-29T00:59:59.000Z\""
        );
    }
}
