//! Text helpers for messages: suggestions, case conversion, and printing
//! the user's tokens as they wrote them.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// The closest candidate within a small edit distance, for "did you mean".
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, c)| d > 0 && d <= 2.max(c.len() / 4))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `snake_case` of a Rust type name, for default wire names.
pub(crate) fn snake_case(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, ch) in ident.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// `tokens` as source text: no spaces around `::` and `.`, none inside
/// brackets, one after a comma, and one between two words
/// (`String::from("x")`, `"x".to_string()`, `EVENTS::STARTED`, `&name`).
pub(crate) fn as_written(tokens: TokenStream) -> String {
    let mut out = String::new();
    // Whether the previous token was a word (ident or literal), and whether
    // a space is owed before the next word.
    let mut after_word = false;
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                if after_word {
                    out.push(' ');
                }
                out.push_str(&i.to_string());
                after_word = true;
            }
            TokenTree::Literal(l) => {
                if after_word {
                    out.push(' ');
                }
                out.push_str(&l.to_string());
                after_word = true;
            }
            TokenTree::Punct(p) => {
                let c = p.as_char();
                out.push(c);
                after_word = false;
                if c == ',' || (c == '=' && p.spacing() == Spacing::Alone) {
                    out.push(' ');
                }
            }
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                out.push_str(&as_written(g.stream()));
                out.push_str(close);
                after_word = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let names = ["agent_thinking", "tool_completed"];
        assert_eq!(did_you_mean("agent_thiking", names), Some("agent_thinking"));
        assert_eq!(did_you_mean("tool_complted", names), Some("tool_completed"));
        assert_eq!(did_you_mean("progress_update", names), None);
    }

    #[test]
    fn snake_cases_type_names() {
        assert_eq!(snake_case("ProgressUpdate"), "progress_update");
        assert_eq!(snake_case("progress_update"), "progress_update");
    }

    #[test]
    fn prints_tokens_as_written() {
        for src in [
            "EVENTS::STARTED",
            "String::from(\"x\")",
            "\"x\".to_string()",
            "&name",
            "events[0]",
            "self.event",
            "format!(\"{}\", x)",
            "a as b",
        ] {
            assert_eq!(as_written(src.parse().unwrap()), src);
        }
    }
}
