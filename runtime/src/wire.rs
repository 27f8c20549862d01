//! The wire format: envelope writing, statuses and timestamps.
//!
//! Envelopes are written by hand into one buffer per event: every field is
//! either a validated identifier, a number, or a string escaped here, and the
//! payload is nested under `"payload"`, so a payload key can never overwrite
//! an envelope key.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// How a run ended, as carried by `agent_completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The run finished with a result.
    Completed,
    /// The run returned an error, panicked, or was dropped without `agent_completed`.
    Failed,
    /// The run's task was cancelled (aborted, or the server shut down).
    Cancelled,
}

impl RunStatus {
    /// The wire spelling: `completed`, `failed` or `cancelled`.
    ///
    /// ```
    /// assert_eq!(agentwire::RunStatus::Failed.as_str(), "failed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// How a tool call ended, as carried by `tool_completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    /// The tool returned a result.
    Success,
    /// The tool failed; `error` says why.
    Error,
    /// The tool call was dropped before it completed.
    Cancelled,
}

impl ToolStatus {
    /// The wire spelling: `success`, `error` or `cancelled`.
    ///
    /// ```
    /// assert_eq!(agentwire::ToolStatus::Cancelled.as_str(), "cancelled");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ToolStatus::Success => "success",
            ToolStatus::Error => "error",
            ToolStatus::Cancelled => "cancelled",
        }
    }
}

/// What each byte becomes inside a JSON string: 0 for itself, `u` for a
/// `\u00XX` escape, or the letter after the backslash.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Appends `s` as a JSON string literal.
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[b as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `"key":` (keys are static ASCII).
pub(crate) fn push_key(out: &mut Vec<u8>, key: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

pub(crate) fn push_u64(out: &mut Vec<u8>, n: u64) {
    let (digits, from) = u64_digits(n);
    out.extend_from_slice(&digits[from..]);
}

/// The decimal digits of `n`: they are `digits[from..]`.
pub(crate) fn u64_digits(mut n: u64) -> ([u8; 20], usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    (buf, i)
}

/// Appends any serialisable value; a value that fails to serialise is
/// reported to the caller and the buffer is left as it was.
pub(crate) fn push_json<T: serde::Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), serde_json::Error> {
    let len = out.len();
    serde_json::to_writer(&mut *out, value).inspect_err(|_| out.truncate(len))
}

/// Appends a `serde_json::Value`, which always serialises.
pub(crate) fn push_value(out: &mut Vec<u8>, value: &serde_json::Value) {
    if push_json(out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Appends the current time as an RFC 3339 UTC string literal with
/// milliseconds: `"2026-11-22T10:00:00.123Z"`.
pub(crate) fn push_timestamp(out: &mut Vec<u8>, now: SystemTime) {
    // Events come many to a second: each thread keeps the last second's
    // `YYYY-MM-DDTHH:MM:SS` and only writes the milliseconds.
    thread_local! {
        static SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };
    }
    let ms = unix_ms(now);
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
    use std::time::Duration;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_round_trip_through_a_json_parser() {
        for input in [
            "plain",
            "quote \" back \\ slash",
            "ctl \u{1} \n \t \r",
            "ünï ✓ 🚀",
            "",
        ] {
            let json = s(|o| push_str(o, input));
            let back: String = serde_json::from_str(&json).unwrap();
            assert_eq!(back, input);
        }
    }

    #[test]
    fn escapes_are_the_short_ones_or_u00xx() {
        assert_eq!(
            s(|o| push_str(o, "a\"b\\c\nd\re\tf\u{1}g\u{1f}h\u{7f}é")),
            "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\u{7f}é\""
        );
    }

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
            let json = s(|o| push_timestamp(o, t));
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
    fn numbers() {
        for n in [0, 7, 10, 1_234_567, u64::MAX] {
            assert_eq!(s(|o| push_u64(o, n)), n.to_string());
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_millis() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_341_600_123);
        assert_eq!(s(|o| push_timestamp(o, t)), "\"2026-11-22T10:00:00.123Z\"");
        assert_eq!(
            s(|o| push_timestamp(o, UNIX_EPOCH)),
            "\"1970-01-01T00:00:00.000Z\""
        );
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_599);
        assert_eq!(
            s(|o| push_timestamp(o, leap)),
            "\"2000-02-29T00:59:59.000Z\""
        );
    }
}
