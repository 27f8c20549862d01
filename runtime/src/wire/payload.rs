//! Lifecycle payloads cut to fit: the writer their fields are written
//! through, and how the room is shared out when they do not fit.

use super::json::{
    push_json, push_key, push_str, push_str_within, push_u64, push_value, u64_digits, MIN_CUT_STR,
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::json::tests::cut_text;
    use serde_json::{json, Value};

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
}
