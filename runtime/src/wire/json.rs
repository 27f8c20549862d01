//! JSON text, written by hand: string escaping, numbers, and strings cut
//! short at a char boundary.

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
    for (i, &b) in bytes.iter().enumerate().skip(plain_prefix(bytes)) {
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

/// How many leading bytes of `bytes` need no escape, to a multiple of 8:
/// the common text is checked a word at a time, the rest byte by byte.
fn plain_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = ONES * 0x80;
    // Whether any byte of `x` is zero; exact, no false positives.
    let any_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut plain = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(word);
        // A control character (a byte below 0x20), a quote or a backslash.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        if control
            | any_zero(x ^ (ONES * u64::from(b'"')))
            | any_zero(x ^ (ONES * u64::from(b'\\')))
            != 0
        {
            break;
        }
        plain += 8;
    }
    plain
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
pub(super) const MIN_CUT_STR: usize = ELLIPSIS.len() + 2;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_byte_that_needs_an_escape_is_found_at_every_position() {
        for at in 0..20 {
            for c in (0u8..0x80).chain([0xc3]) {
                let mut text = vec![b'a'; 20];
                text[at] = c;
                if c == 0xc3 {
                    text.insert(at + 1, 0xa9);
                }
                let text = String::from_utf8(text).unwrap();
                let first = text.bytes().position(|b| ESCAPE[b as usize] != 0);
                let plain = plain_prefix(text.as_bytes());
                assert_eq!(plain, first.unwrap_or(text.len()) / 8 * 8, "{text:?}");
                let json = s(|o| push_str(o, &text));
                assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
            }
        }
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
    pub(crate) fn cut_text(literal: &str) -> String {
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

    #[test]
    fn numbers() {
        for n in [0, 7, 10, 1_234_567, u64::MAX] {
            assert_eq!(s(|o| push_u64(o, n)), n.to_string());
        }
    }
}
