//! Where a handshake carries its token: `Authorization: Bearer <jwt>`, or,
//! since browsers cannot set headers on a WebSocket, the subprotocol
//! `bearer.<jwt>` offered beside `agentwire.v1`. Exactly one of the two.

use std::fmt;

use http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use http::HeaderMap;

use super::AuthError;

/// The subprotocol of this wire protocol.
pub(crate) const SUBPROTOCOL: &str = "agentwire.v1";
/// The subprotocol entry that carries the token.
pub(crate) const BEARER_PREFIX: &str = "bearer.";

/// Which method carried the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// `Authorization: Bearer <jwt>`.
    Header,
    /// The subprotocol `bearer.<jwt>`.
    Subprotocol,
}

/// A handshake's token, not yet verified, and the subprotocols it offered.
/// `Debug` does not show the token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials<'a> {
    /// Non-empty visible ASCII without spaces.
    pub(crate) token: &'a str,
    pub(crate) source: TokenSource,
    /// Whether `agentwire.v1` was offered: the server then selects it.
    pub(crate) offers_v1: bool,
    /// The offered subprotocols other than `agentwire.v1` and the
    /// `bearer.` entry, in order.
    pub(crate) other_subprotocols: Vec<&'a str>,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("token", &"<redacted>")
            .field("source", &self.source)
            .field("offers_v1", &self.offers_v1)
            .field("other_subprotocols", &self.other_subprotocols)
            .finish()
    }
}

/// The token of a handshake request, from its headers.
///
/// The `Authorization` scheme is case-insensitive (RFC 7235) and followed
/// by one or more spaces. The subprotocol list may span several header
/// lines; entries are comma-separated and trimmed, empty ones ignored
/// (RFC 9110 §5.6.1). Two tokens are refused as [`AuthError::Ambiguous`],
/// even if equal (RFC 6750 §2: one method only). An `Authorization` header
/// of another scheme is not a token: browsers send cached Basic credentials
/// on their own, so beside a `bearer.` subprotocol it is ignored, and alone
/// it is [`AuthError::NotBearer`].
pub(crate) fn credentials(headers: &HeaderMap) -> Result<Credentials<'_>, AuthError> {
    let mut offers_v1 = false;
    let mut other_subprotocols = Vec::new();
    let mut from_protocol = None;
    for protocol in subprotocols(headers)? {
        if protocol == SUBPROTOCOL {
            offers_v1 = true;
        } else if let Some(token) = protocol.strip_prefix(BEARER_PREFIX) {
            if from_protocol.replace(token).is_some() {
                return Err(AuthError::Ambiguous);
            }
        } else {
            other_subprotocols.push(protocol);
        }
    }
    let mut authorization = headers.get_all(AUTHORIZATION).iter();
    let (first, second) = (authorization.next(), authorization.next());
    if second.is_some() {
        return Err(AuthError::Ambiguous);
    }
    let from_header = match first.map(|value| bearer(value.as_bytes())) {
        None => None,
        Some(Scheme::Bearer(token)) => Some(token),
        Some(Scheme::Other) if from_protocol.is_some() => None,
        Some(Scheme::Other) => return Err(AuthError::NotBearer),
    };
    let (token, source) = match (from_header, from_protocol) {
        (Some(_), Some(_)) => return Err(AuthError::Ambiguous),
        (Some(token), None) => (token_str(token)?, TokenSource::Header),
        (None, Some(token)) => (token_str(token.as_bytes())?, TokenSource::Subprotocol),
        (None, None) => return Err(AuthError::Missing),
    };
    Ok(Credentials {
        token,
        source,
        offers_v1,
        other_subprotocols,
    })
}

enum Scheme<'a> {
    Bearer(&'a [u8]),
    Other,
}

/// Splits `Authorization` into its scheme and what follows it, trimmed.
fn bearer(value: &[u8]) -> Scheme<'_> {
    let value = value.trim_ascii();
    let split = value
        .iter()
        .position(|&b| b == b' ' || b == b'\t')
        .unwrap_or(value.len());
    let (scheme, rest) = value.split_at(split);
    if scheme.eq_ignore_ascii_case(b"bearer") {
        Scheme::Bearer(rest.trim_ascii_start())
    } else {
        Scheme::Other
    }
}

/// A token is non-empty visible ASCII: anything else cannot be a JWT.
fn token_str(token: &[u8]) -> Result<&str, AuthError> {
    if token.is_empty() || !token.iter().all(u8::is_ascii_graphic) {
        return Err(AuthError::Malformed);
    }
    std::str::from_utf8(token).map_err(|_| AuthError::Malformed)
}

/// Every offered subprotocol, in order. Each must be an RFC 9110 token,
/// as RFC 6455 §4.1 requires.
fn subprotocols(headers: &HeaderMap) -> Result<Vec<&str>, AuthError> {
    let mut offered = Vec::new();
    for line in headers.get_all(SEC_WEBSOCKET_PROTOCOL) {
        let line = line.to_str().map_err(|_| AuthError::InvalidSubprotocols)?;
        for entry in line.split(',').map(|e| e.trim_matches([' ', '\t'])) {
            if entry.is_empty() {
                continue;
            }
            if !entry.bytes().all(is_tchar) {
                return Err(AuthError::InvalidSubprotocols);
            }
            offered.push(entry);
        }
    }
    Ok(offered)
}

/// RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::HeaderValue;

    use super::*;
    use crate::server::JwtAuth;
    use crate::UserId;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

    /// Headers from `(name, value)` lines, repeated names kept apart.
    fn request(lines: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for &(name, value) in lines {
            map.append(name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    fn auth(value: &str) -> HeaderMap {
        request(&[("authorization", value.as_bytes())])
    }

    fn protocols(lines: &[&str]) -> HeaderMap {
        let lines: Vec<_> = lines
            .iter()
            .map(|l| ("sec-websocket-protocol", l.as_bytes()))
            .collect();
        request(&lines)
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let headers = auth(&format!("{scheme} {JWT}"));
            let creds = credentials(&headers).unwrap();
            assert_eq!(creds.token, JWT, "{scheme}");
            assert_eq!(creds.source, TokenSource::Header);
            assert!(!creds.offers_v1);
            assert!(creds.other_subprotocols.is_empty());
        }
    }

    #[test]
    fn whitespace_around_the_token_is_skipped() {
        for value in [
            format!("Bearer  {JWT}"),
            format!("Bearer     {JWT}"),
            format!("Bearer\t{JWT}"),
            format!("Bearer {JWT}  "),
            format!("  Bearer {JWT}"),
        ] {
            assert_eq!(credentials(&auth(&value)).unwrap().token, JWT, "{value:?}");
        }
    }

    #[test]
    fn a_bearer_header_without_a_single_visible_token_is_malformed() {
        for value in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer    ",
            b"Bearer abc def",
            b"Bearer abc\tdef",
            b"Bearer t\xc3\xb6ken",
            b"Bearer \xff\xfe",
        ] {
            let headers = request(&[("authorization", value)]);
            assert_eq!(
                credentials(&headers),
                Err(AuthError::Malformed),
                "{value:?}"
            );
        }
    }

    #[test]
    fn another_scheme_names_bearer() {
        for value in [
            &b"Basic dXNlcjpwYXNz"[..],
            b"Digest username=\"alice\"",
            b"Bearerabc",
            b"Bearer.abc",
            b"",
            b"Basic \xff",
            JWT.as_bytes(),
        ] {
            let headers = request(&[("authorization", value)]);
            let err = credentials(&headers).unwrap_err();
            assert_eq!(err, AuthError::NotBearer, "{value:?}");
            assert!(err.to_string().contains("Authorization: Bearer <jwt>"));
            assert_eq!(err.status(), 401);
        }
    }

    #[test]
    fn no_credentials_are_missing() {
        assert_eq!(credentials(&HeaderMap::new()), Err(AuthError::Missing));
        for lines in [
            &["agentwire.v1"][..],
            &["agentwire.v1, chat"],
            &["Bearer.abc"],
            &[" , ,"],
            &[""],
        ] {
            assert_eq!(
                credentials(&protocols(lines)),
                Err(AuthError::Missing),
                "{lines:?}"
            );
        }
        let unrelated = request(&[
            ("cookie", b"bearer=abc"),
            ("x-authorization", b"Bearer abc"),
        ]);
        assert_eq!(credentials(&unrelated), Err(AuthError::Missing));
    }

    #[test]
    fn the_token_may_come_as_a_subprotocol() {
        let headers = protocols(&[&format!("agentwire.v1, bearer.{JWT}")]);
        let creds = credentials(&headers).unwrap();
        assert_eq!(creds.token, JWT);
        assert_eq!(creds.source, TokenSource::Subprotocol);
        assert!(creds.offers_v1);
        assert!(creds.other_subprotocols.is_empty());
    }

    #[test]
    fn subprotocols_may_span_lines_with_whitespace_and_empty_entries() {
        let bearer = format!("bearer.{JWT}");
        for lines in [
            vec!["agentwire.v1".to_owned(), bearer.clone()],
            vec![bearer.clone(), "agentwire.v1".to_owned()],
            vec![format!("  agentwire.v1 ,\t{bearer}  ")],
            vec![format!(",agentwire.v1,, ,{bearer},")],
            vec!["agentwire.v1, ".to_owned(), format!(" , {bearer}")],
        ] {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let headers = protocols(&lines);
            let creds = credentials(&headers).unwrap();
            assert_eq!(creds.token, JWT, "{lines:?}");
            assert!(creds.offers_v1, "{lines:?}");
            assert!(creds.other_subprotocols.is_empty(), "{lines:?}");
        }
    }

    #[test]
    fn other_subprotocols_are_kept_in_order() {
        let headers = protocols(&["chat, agentwire.v1", &format!("bearer.{JWT}, v2.agentwire")]);
        let creds = credentials(&headers).unwrap();
        assert_eq!(creds.other_subprotocols, ["chat", "v2.agentwire"]);
        assert!(creds.offers_v1);

        let without_v1 = protocols(&[&format!("bearer.{JWT}")]);
        let creds = credentials(&without_v1).unwrap();
        assert!(!creds.offers_v1);
        assert!(creds.other_subprotocols.is_empty());
    }

    #[test]
    fn an_empty_bearer_entry_is_malformed() {
        for lines in [
            &["agentwire.v1, bearer."][..],
            &["bearer. , agentwire.v1"],
            &["bearer."],
        ] {
            assert_eq!(
                credentials(&protocols(lines)),
                Err(AuthError::Malformed),
                "{lines:?}"
            );
        }
    }

    #[test]
    fn a_subprotocol_list_of_other_than_tokens_is_refused_with_400() {
        for line in [
            &b"agentwire.v1 bearer.abc"[..],
            b"agentwire.v1; bearer.abc",
            b"agentwire.v1, bearer.a\"b",
            b"agentwire.v1, (bearer.abc)",
            b"agentwire.v1, bearer.t\xc3\xb6ken",
            b"agentwire.v1, \xff",
        ] {
            let headers = request(&[("sec-websocket-protocol", line)]);
            let err = credentials(&headers).unwrap_err();
            assert_eq!(err, AuthError::InvalidSubprotocols, "{line:?}");
            assert_eq!(err.status(), 400);
        }
        // A bad line is refused even when the token came in the header.
        let both = request(&[
            ("authorization", format!("Bearer {JWT}").as_bytes()),
            ("sec-websocket-protocol", b"agentwire.v1, \xff"),
        ]);
        assert_eq!(credentials(&both), Err(AuthError::InvalidSubprotocols));
    }

    #[test]
    fn two_authorization_headers_are_ambiguous() {
        let value = format!("Bearer {JWT}");
        for second in [
            value.as_bytes(),
            b"Bearer other.jwt.here",
            b"Basic dXNlcjpwYXNz",
        ] {
            let headers = request(&[
                ("authorization", value.as_bytes()),
                ("authorization", second),
            ]);
            let err = credentials(&headers).unwrap_err();
            assert_eq!(err, AuthError::Ambiguous, "{second:?}");
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn two_bearer_subprotocols_are_ambiguous() {
        let entry = format!("bearer.{JWT}");
        for lines in [
            vec![format!("agentwire.v1, {entry}, {entry}")],
            vec![
                format!("agentwire.v1, {entry}"),
                "bearer.other.jwt.here".to_owned(),
            ],
            vec![format!("{entry}, bearer.")],
        ] {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            assert_eq!(
                credentials(&protocols(&lines)),
                Err(AuthError::Ambiguous),
                "{lines:?}"
            );
        }
    }

    #[test]
    fn a_bearer_header_and_a_bearer_subprotocol_are_ambiguous() {
        for header in [
            format!("Bearer {JWT}"),
            "bearer other.jwt.here".to_owned(),
            "Bearer".to_owned(),
        ] {
            let headers = request(&[
                ("authorization", header.as_bytes()),
                (
                    "sec-websocket-protocol",
                    format!("agentwire.v1, bearer.{JWT}").as_bytes(),
                ),
            ]);
            assert_eq!(credentials(&headers), Err(AuthError::Ambiguous), "{header}");
        }
    }

    #[test]
    fn a_basic_header_beside_a_bearer_subprotocol_is_left_to_whoever_sent_it() {
        let headers = request(&[
            ("authorization", b"Basic dXNlcjpwYXNz"),
            (
                "sec-websocket-protocol",
                format!("agentwire.v1, bearer.{JWT}").as_bytes(),
            ),
        ]);
        let creds = credentials(&headers).unwrap();
        assert_eq!(creds.token, JWT);
        assert_eq!(creds.source, TokenSource::Subprotocol);
    }

    #[test]
    fn debug_and_messages_never_show_the_token() {
        let headers = auth(&format!("Bearer {JWT}"));
        let shown = format!("{:?}", credentials(&headers).unwrap());
        assert!(
            !shown.contains(JWT) && !shown.contains("c2lnbmF0dXJl"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"));
        let bad = [
            request(&[
                ("authorization", format!("Bearer {JWT}").as_bytes()),
                ("authorization", format!("Bearer {JWT}").as_bytes()),
            ]),
            request(&[("authorization", format!("Bearer {JWT} x").as_bytes())]),
            request(&[("authorization", format!("Basic {JWT}").as_bytes())]),
            protocols(&[&format!("bearer.{JWT} x")]),
        ];
        for headers in bad {
            let message = credentials(&headers).unwrap_err().to_string();
            assert!(!message.contains("c2lnbmF0dXJl"), "{message}");
        }
    }

    #[test]
    fn credentials_feed_authentication() {
        let auth = JwtAuth::hs256("a long random secret").unwrap();
        let alice = UserId::new("alice").unwrap();
        let token = auth.issue(&alice, Duration::from_secs(60)).unwrap();
        for headers in [
            self::auth(&format!("bearer  {token}")),
            protocols(&["agentwire.v1", &format!("bearer.{token}")]),
        ] {
            let creds = credentials(&headers).unwrap();
            assert_eq!(auth.authenticate(creds.token).unwrap().user, alice);
        }
    }
}
