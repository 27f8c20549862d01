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

/// How many bytes byte `b` takes inside a JSON string literal.
fn escaped_len(b: u8) -> usize {
    match ESCAPE[b as usize] {
        0 => 1,
        b'u' => 6,
        _ => 2,
    }
}

/// What a cut string ends with.
const ELLIPSIS: &str = "\u{2026}";

/// The shortest literal a cut string becomes: `"…"`.
const MIN_CUT_STR: usize = ELLIPSIS.len() + 2;

/// Appends `s` as a JSON string literal of at most `max` bytes: whole if it
/// fits, otherwise cut at a char boundary and ended with `…` (then `max`
/// must be at least 5, the size of `"…"`). Returns whether it was cut.
pub(crate) fn push_str_within(out: &mut Vec<u8>, s: &str, max: usize) -> bool {
    let room = max.saturating_sub(2);
    let keep = room.saturating_sub(ELLIPSIS.len());
    // The longest prefix whose escaped form leaves room for the ellipsis.
    let mut fit = 0;
    let mut len = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if len <= keep && s.is_char_boundary(i) {
            fit = i;
        }
        len += escaped_len(b);
        if len > room {
            push_str(out, s.get(..fit).unwrap_or_default());
            out.pop();
            out.extend_from_slice(ELLIPSIS.as_bytes());
            out.push(b'"');
            return true;
        }
    }
    push_str(out, s);
    false
}

/// Cuts `s` in place to at most `max` bytes (at least 3), at a char
/// boundary and ended with `…`. Returns whether it was cut.
pub(crate) fn shorten(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut at = max.saturating_sub(ELLIPSIS.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    s.truncate(at);
    s.push_str(ELLIPSIS);
    true
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

/// The most bytes the log puts in front of an event's tail,
/// `{"type":"<event_type>","seq":<seq>`, counting `seq` at its longest
/// (20 digits) so that whether an event fits does not depend on it.
pub(crate) fn head_len(event_type: &str) -> usize {
    br#"{"type":"","seq":"#.len() + event_type.len() + 20
}

/// The most values a lifecycle payload may cut: `tool_completed`'s
/// `tool_name`, `result` and `error`.
const MAX_CUT: usize = 3;

/// Marks a payload whose fields were cut.
const TRUNCATED: &[u8] = br#""truncated":true"#;

const PLACEHOLDER_HEAD: &[u8] = br#"{"truncated":true,"bytes":"#;

/// The writer of a lifecycle payload's fields (the object's inside,
/// without braces), given to the function that lists them.
///
/// That function is called once, writing every field whole while the
/// writer measures the values that may be cut; only when the payload is
/// over its room ([`push_payload`]) is it called a second time, with a
/// plan of how many bytes each of those values may take. So the fields are
/// listed once, and the usual payload is written exactly as by hand.
pub(crate) struct PayloadWriter<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    /// The values that may be cut, in the order written: their size
    /// written whole, and whether they can take any size (text) or only
    /// their whole size or their placeholder's (JSON other than a string).
    measured: [Measured; MAX_CUT],
    /// How many of them were written in this pass.
    count: usize,
    /// On the rewrite, the bytes each of them may take.
    plan: Option<[usize; MAX_CUT]>,
}

#[derive(Clone, Copy, Default)]
struct Measured {
    whole: usize,
    divisible: bool,
}

impl PayloadWriter<'_> {
    #[inline]
    fn key(&mut self, key: &'static str) {
        if self.out.len() > self.start {
            self.out.push(b',');
        }
        push_key(self.out, key);
    }

    /// Short text, always sent whole: ids and statuses.
    #[inline]
    pub(crate) fn exact(&mut self, key: &'static str, value: &str) {
        self.key(key);
        push_str(self.out, value);
    }

    /// Constant JSON text, e.g. `{}`.
    #[inline]
    pub(crate) fn raw(&mut self, key: &'static str, json: &'static str) {
        self.key(key);
        self.out.extend_from_slice(json.as_bytes());
    }

    #[inline]
    pub(crate) fn uint(&mut self, key: &'static str, value: u64) {
        self.key(key);
        push_u64(self.out, value);
    }

    /// A finite number (JSON has no NaN or infinity).
    #[inline]
    pub(crate) fn float(&mut self, key: &'static str, value: f64) {
        self.key(key);
        if push_json(self.out, &value).is_err() {
            self.out.extend_from_slice(b"null");
        }
    }

    /// Text, cut when the payload does not fit.
    #[inline]
    pub(crate) fn text(&mut self, key: &'static str, value: &str) {
        self.key(key);
        if self.plan.is_some() {
            return self.text_within(value);
        }
        let at = self.out.len();
        push_str(self.out, value);
        self.measure(at, true);
    }

    /// A JSON value, cut (a string) or replaced by a placeholder (any other
    /// value) when the payload does not fit.
    #[inline]
    pub(crate) fn json(&mut self, key: &'static str, value: &serde_json::Value) {
        self.key(key);
        if self.plan.is_some() {
            return self.json_within(value);
        }
        let at = self.out.len();
        push_value(self.out, value);
        self.measure(at, value.is_string());
    }

    #[cold]
    fn text_within(&mut self, value: &str) {
        match self.cut_to() {
            (whole, max) if whole <= max => push_str(self.out, value),
            (_, max) => {
                push_str_within(self.out, value, max);
            }
        }
    }

    #[cold]
    fn json_within(&mut self, value: &serde_json::Value) {
        match (self.cut_to(), value) {
            ((whole, max), _) if whole <= max => push_value(self.out, value),
            ((_, max), serde_json::Value::String(s)) => {
                push_str_within(self.out, s, max);
            }
            ((whole, _), _) => push_placeholder(self.out, whole),
        }
    }

    /// On the rewrite, the next cuttable value's whole size and the bytes
    /// it may take.
    fn cut_to(&mut self) -> (usize, usize) {
        let i = self.count;
        self.count += 1;
        // Past `MAX_CUT` a value is written whole (and the payload may not
        // fit: the tests of the five events would say so).
        match (
            self.measured.get(i),
            self.plan.as_ref().and_then(|p| p.get(i)),
        ) {
            (Some(m), Some(&max)) => (m.whole, max),
            _ => (0, 0),
        }
    }

    #[inline]
    fn measure(&mut self, at: usize, divisible: bool) {
        let whole = self.out.len() - at;
        debug_assert!(
            self.count < MAX_CUT,
            "a payload cuts at most {MAX_CUT} values"
        );
        if let Some(m) = self.measured.get_mut(self.count) {
            *m = Measured { whole, divisible };
        }
        self.count += 1;
    }

    fn push_truncated(&mut self) {
        if self.out.len() > self.start {
            self.out.push(b',');
        }
        self.out.extend_from_slice(TRUNCATED);
    }
}

/// Writes a lifecycle payload in at most `room` bytes, as described in
/// [the events module](crate::events#the-size-limit): `fields` writes its
/// fields through the [`PayloadWriter`]. `cut` says a field was cut
/// before (the run's `agent_name`), so the payload is marked `truncated`
/// regardless.
///
/// The fields are written whole and measured once; only a payload over
/// `room` is written again, shorter.
#[inline]
pub(crate) fn push_payload(
    out: &mut Vec<u8>,
    room: usize,
    cut: bool,
    fields: impl Fn(&mut PayloadWriter<'_>),
) {
    let mut writer = PayloadWriter {
        start: out.len(),
        out,
        measured: [Measured::default(); MAX_CUT],
        count: 0,
        plan: None,
    };
    fields(&mut writer);
    if cut {
        writer.push_truncated();
    }
    if writer.out.len() - writer.start > room {
        rewrite(writer, room, cut, fields);
    }
}

/// The rewrite of a payload that is over `room`.
///
/// Each cuttable value first gets its minimum (`"…"`, or its placeholder),
/// and the rest of the room is shared out between them ([`share_out`]).
/// Text takes exactly its share; a JSON value other than a string is whole
/// or nothing, so one whose share is short of its whole size becomes a
/// placeholder and its share is shared out again between the text.
#[cold]
#[inline(never)]
fn rewrite(
    mut writer: PayloadWriter<'_>,
    room: usize,
    cut: bool,
    fields: impl Fn(&mut PayloadWriter<'_>),
) {
    let written = writer.out.len() - writer.start;
    let measured = &writer.measured[..writer.count.min(MAX_CUT)];
    // The payload with every cuttable value at its minimum, and the marker.
    let mut fixed = written + if cut { 0 } else { TRUNCATED.len() + 1 };
    let mut min = [0; MAX_CUT];
    let mut extra = [None; MAX_CUT];
    for (i, m) in measured.iter().enumerate() {
        min[i] = m.whole.min(if m.divisible {
            MIN_CUT_STR
        } else {
            placeholder_len(m.whole)
        });
        extra[i] = Some(m.whole - min[i]);
        fixed -= m.whole - min[i];
    }
    let mut left = room.saturating_sub(fixed);
    let fair = share_out(&extra, left);
    let mut plan = min;
    for (i, m) in measured.iter().enumerate() {
        if !m.divisible {
            if Some(fair[i]) == extra[i] {
                plan[i] = m.whole;
                left -= fair[i];
            }
            extra[i] = None;
        }
    }
    let second = share_out(&extra, left);
    for (max, more) in plan.iter_mut().zip(second) {
        *max += more;
    }
    writer.out.truncate(writer.start);
    writer.count = 0;
    writer.plan = Some(plan);
    fields(&mut writer);
    writer.push_truncated();
}

/// Shares `left` bytes out between the values `wanted` marks, from the
/// smallest up, each taking at most an equal share of what is still left:
/// a value that fits its share gets all it wants, and what it does not use
/// goes to the larger ones.
fn share_out<const N: usize>(wanted: &[Option<usize>; N], mut left: usize) -> [usize; N] {
    let mut order: [usize; N] = std::array::from_fn(|i| i);
    order.sort_unstable_by_key(|&i| wanted[i]);
    let mut count = wanted.iter().flatten().count();
    let mut shares = [0; N];
    for i in order {
        if let Some(wants) = wanted[i] {
            let share = (left / count).min(wants);
            shares[i] = share;
            left -= share;
            count -= 1;
        }
    }
    shares
}

/// What stands for a JSON value too large to send:
/// `{"truncated":true,"bytes":<whole>}`.
fn push_placeholder(out: &mut Vec<u8>, whole: usize) {
    out.extend_from_slice(PLACEHOLDER_HEAD);
    push_u64(out, whole as u64);
    out.push(b'}');
}

fn placeholder_len(whole: usize) -> usize {
    let (_, from) = u64_digits(whole as u64);
    PLACEHOLDER_HEAD.len() + (20 - from) + 1
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
    use serde_json::{json, Value};
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

    /// The text of a cut literal without its `…`, checking it is one.
    fn cut_text(literal: &str) -> String {
        let text: String = serde_json::from_str(literal).unwrap();
        text.strip_suffix('…')
            .unwrap_or_else(|| panic!("{literal} does not end with …"))
            .to_owned()
    }

    #[test]
    fn strings_are_cut_at_char_boundaries_within_the_limit() {
        let input = "aé✓🚀\"\n\u{1}".repeat(40);
        let whole = s(|o| push_str(o, &input)).len();
        for max in MIN_CUT_STR..whole {
            let mut out = Vec::new();
            assert!(push_str_within(&mut out, &input, max));
            let literal = String::from_utf8(out).unwrap();
            assert!(literal.len() <= max, "{max}: {literal}");
            // Nothing longer fits: the next char would not.
            assert!(literal.len() + 6 > max, "{max}: {literal}");
            let kept = cut_text(&literal);
            assert!(input.starts_with(&kept), "{max}: {literal}");
        }
        for max in [whole, whole + 1] {
            let mut out = Vec::new();
            assert!(!push_str_within(&mut out, &input, max));
            assert_eq!(out, s(|o| push_str(o, &input)).into_bytes());
        }
    }

    #[test]
    fn shorten_cuts_at_a_char_boundary() {
        let mut name = "🚀".repeat(100);
        assert!(shorten(&mut name, 256));
        assert!(name.len() <= 256 && name.ends_with('…'), "{name}");
        assert_eq!(name.len(), 252 + 3);
        let mut short = "é".repeat(128);
        assert!(!shorten(&mut short, 256));
        assert_eq!(short.len(), 256);
    }

    /// The payload `fields` writes in `room` bytes, checked to fit and to
    /// be valid JSON.
    fn payload(room: usize, fields: impl Fn(&mut PayloadWriter<'_>)) -> Value {
        let mut out = b"{".to_vec();
        push_payload(&mut out, room, false, fields);
        assert!(out.len() - 1 <= room, "{} over {room}", out.len() - 1);
        out.push(b'}');
        serde_json::from_slice(&out)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
    }

    #[test]
    fn a_payload_that_fits_is_written_whole_and_unmarked() {
        let result = json!({"hits": [1, 2, 3]});
        let fields = |p: &mut PayloadWriter<'_>| {
            p.exact("status", "success");
            p.json("result", &result);
            p.uint("execution_time_ms", 12);
        };
        let whole = r#"{"status":"success","result":{"hits":[1,2,3]},"execution_time_ms":12}"#;
        let mut out = b"{".to_vec();
        push_payload(&mut out, whole.len() - 2, false, fields);
        out.push(b'}');
        assert_eq!(String::from_utf8(out).unwrap(), whole);
        let mut out = b"{".to_vec();
        push_payload(&mut out, usize::MAX, true, fields);
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with(r#"12,"truncated":true"#));
        let mut out = b"{".to_vec();
        push_payload(&mut out, usize::MAX, true, |_| {});
        assert_eq!(out, br#"{"truncated":true"#);
    }

    #[test]
    fn large_values_become_placeholders_and_small_fields_stay_whole() {
        let result = json!({ "rows": vec!["x".repeat(100); 1000] });
        let whole = serde_json::to_vec(&result).unwrap().len();
        let error = "é".repeat(50_000);
        let v = payload(1000, |p| {
            p.exact("tool_call_id", "call_1");
            p.text("tool_name", "search");
            p.exact("status", "error");
            p.json("result", &result);
            p.text("error", &error);
            p.uint("execution_time_ms", 7);
        });
        assert_eq!(v["truncated"], true);
        assert_eq!(v["tool_name"], "search");
        assert_eq!(v["status"], "error");
        assert_eq!(v["execution_time_ms"], 7);
        assert_eq!(v["result"], json!({"truncated": true, "bytes": whole}));
        // The text takes what the placeholder leaves.
        let kept = cut_text(&v["error"].to_string());
        assert!(error.starts_with(&kept));
        assert!(kept.len() > 800, "{}", kept.len());
    }

    #[test]
    fn a_value_that_fits_its_share_is_kept() {
        let parameters = json!({"q": "h100"});
        let tool_name = "t".repeat(100_000);
        let v = payload(600, |p| {
            p.exact("tool_call_id", "call_1");
            p.text("tool_name", &tool_name);
            p.json("parameters", &parameters);
        });
        assert_eq!(v["parameters"], parameters);
        assert!(v["tool_name"].as_str().unwrap().len() > 450);
    }

    #[test]
    fn string_values_are_cut_like_text() {
        let result = Value::String("ü".repeat(1_000_000));
        let v = payload(500, |p| p.json("result", &result));
        let kept = cut_text(&v["result"].to_string());
        assert!(kept.chars().all(|c| c == 'ü') && kept.len() > 400);
    }

    #[test]
    fn with_no_room_every_cuttable_value_is_at_its_least() {
        let big = json!(vec![0; 100_000]);
        let text = "x".repeat(100_000);
        let mut out = Vec::new();
        push_payload(&mut out, 0, false, |p| {
            p.text("a", &text);
            p.json("b", &big);
            p.json("c", &Value::String(text.clone()));
        });
        let bytes = serde_json::to_vec(&big).unwrap().len();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(r#""a":"…","b":{{"truncated":true,"bytes":{bytes}}},"c":"…","truncated":true"#)
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
