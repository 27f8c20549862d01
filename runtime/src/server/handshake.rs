//! The opening handshake (RFC 6455 §4.2): checks the HTTP request, the
//! `Origin`, the credentials and the resume query, and answers `101
//! Switching Protocols` or an HTTP error that says what is wrong.
//!
//! | status | when |
//! |---|---|
//! | 400 | not HTTP/1.1, a missing or malformed `Sec-WebSocket-Key`, two kinds of credentials at once, an unknown subprotocol list, a malformed `since`/`epoch` |
//! | 401 | no token, or a token that is not valid now |
//! | 403 | an `Origin` outside the allow-list |
//! | 405 | not `GET` |
//! | 426 | not a WebSocket upgrade, or a `Sec-WebSocket-Version` other than 13 |
//! | 431 | request headers over 32 KiB or over 100 lines (answered by the HTTP layer) |

use std::time::SystemTime;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use http_body_util::Full;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::auth::AuthError;
use super::credentials::{self, TokenSource, SUBPROTOCOL};
use super::ServerConfig;
use crate::UserId;

/// A request that may become a connection of `user`.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub(crate) user: UserId,
    /// When the token stops being valid; the connection is closed then.
    pub(crate) expires_at: SystemTime,
    pub(crate) resume: Option<ResumeQuery>,
}

/// `?since=<seq>&epoch=<epoch>`: what a reconnecting client last saw.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ResumeQuery {
    pub(crate) since: u64,
    pub(crate) epoch: Option<String>,
}

/// A refused handshake: an HTTP status and a message for the person
/// reading it.
#[derive(Debug)]
pub(crate) struct Rejection {
    status: StatusCode,
    message: String,
    /// The `WWW-Authenticate` challenge of a refused token.
    challenge: &'static str,
    /// The `Allow` header of a 405: the methods the endpoint answers.
    allow: &'static str,
}

/// The body type of every response the endpoint gives.
pub(crate) type Body = Full<Bytes>;

impl Rejection {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Rejection {
            status,
            message: message.into(),
            challenge: "Bearer",
            allow: "GET",
        }
    }

    /// A 405 naming the methods the endpoint answers.
    pub(crate) fn method_not_allowed(allow: &'static str, message: impl Into<String>) -> Self {
        Rejection {
            allow,
            ..Rejection::new(StatusCode::METHOD_NOT_ALLOWED, message)
        }
    }

    /// The endpoint is shutting down.
    pub(crate) fn unavailable() -> Self {
        Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down; reconnect shortly",
        )
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn into_response(self) -> Response<Body> {
        let mut resp = Response::new(Full::new(Bytes::from(self.message + "\n")));
        *resp.status_mut() = self.status;
        let headers = resp.headers_mut();
        // A refused handshake ends the connection (`hub.serve`'s HTTP
        // layer honours it; a mounting app may keep its own policy).
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        match self.status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(self.challenge),
                );
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                headers.insert(header::ALLOW, HeaderValue::from_static(self.allow));
            }
            StatusCode::UPGRADE_REQUIRED => {
                headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
                headers.insert(
                    header::SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static("13"),
                );
            }
            _ => {}
        }
        resp
    }
}

impl From<AuthError> for Rejection {
    fn from(e: AuthError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        Rejection {
            challenge: e.challenge(),
            ..Rejection::new(status, e.to_string())
        }
    }
}

/// Checks a handshake request; on success returns who connects and the
/// `101` response to send.
pub(crate) fn check<B>(
    config: &ServerConfig,
    req: &Request<B>,
) -> Result<(Accepted, Response<Body>), Rejection> {
    if req.method() != Method::GET {
        return Err(Rejection::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "the WebSocket endpoint only answers GET",
        ));
    }
    if req.version() < Version::HTTP_11 {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake needs HTTP/1.1",
        ));
    }
    let headers = req.headers();
    if !has_token(headers, header::UPGRADE, "websocket")
        || !has_token(headers, header::CONNECTION, "upgrade")
    {
        return Err(Rejection::new(
            StatusCode::UPGRADE_REQUIRED,
            "this is a WebSocket endpoint: connect with a WebSocket client \
             (`Upgrade: websocket`, `Sec-WebSocket-Version: 13`)",
        ));
    }
    if single(headers, header::SEC_WEBSOCKET_VERSION) != Some(b"13".as_slice()) {
        return Err(Rejection::new(
            StatusCode::UPGRADE_REQUIRED,
            "only WebSocket version 13 (RFC 6455) is supported",
        ));
    }
    let key = match single(headers, header::SEC_WEBSOCKET_KEY) {
        Some(key) if is_websocket_key(key) => key,
        _ => {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "`Sec-WebSocket-Key` must be one base64 value of 16 bytes",
            ))
        }
    };
    check_origin(config, headers)?;
    let credentials = credentials::credentials(headers)?;
    if !credentials.offers_v1
        && (credentials.source == TokenSource::Subprotocol
            || !credentials.other_subprotocols.is_empty())
    {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "offer the subprotocol `agentwire.v1` (with `bearer.<jwt>` from a browser)",
        ));
    }
    let resume = parse_query(req.uri().query())?;
    let identity = config.auth.authenticate(credentials.token)?;

    let mut resp = Response::new(Body::default());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let out = resp.headers_mut();
    out.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    out.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key)) {
        out.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    // The token a browser sent as a subprotocol is never echoed.
    if credentials.offers_v1 {
        out.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    Ok((
        Accepted {
            user: identity.user,
            expires_at: identity.expires_at,
            resume,
        },
        resp,
    ))
}

/// The `Origin` allow-list: requests without `Origin` (non-browser
/// clients) pass.
pub(crate) fn check_origin(config: &ServerConfig, headers: &HeaderMap) -> Result<(), Rejection> {
    if let Some(allowed) = &config.allowed_origins {
        if let Some(origin) = headers.get(header::ORIGIN) {
            if !allowed.iter().any(|a| a.as_bytes() == origin.as_bytes()) {
                return Err(Rejection::new(StatusCode::FORBIDDEN, "origin not allowed"));
            }
        }
    }
    Ok(())
}

/// Whether the comma-separated header `name` lists `token` (ASCII case
/// insensitive), on any of its lines.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The value of a header that must appear exactly once.
fn single(headers: &HeaderMap, name: header::HeaderName) -> Option<&[u8]> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => Some(v.as_bytes()),
        _ => None,
    }
}

/// A `Sec-WebSocket-Key` is the base64 of 16 bytes: 22 characters of the
/// alphabet and `==`.
fn is_websocket_key(key: &[u8]) -> bool {
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// The longest `epoch` a client may send back; the server's are shorter.
pub(crate) const MAX_EPOCH_LEN: usize = 64;

/// `since` and `epoch`, each at most once; other parameters are ignored.
pub(crate) fn parse_query(query: Option<&str>) -> Result<Option<ResumeQuery>, Rejection> {
    let bad = |msg: &str| Rejection::new(StatusCode::BAD_REQUEST, msg);
    let mut since = None;
    let mut epoch = None;
    for pair in query.unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "since" => &mut since,
            "epoch" => &mut epoch,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(bad(&format!("`{key}` is given more than once")));
        }
    }
    let since = match since {
        None if epoch.is_some() => return Err(bad("`epoch` needs `since`")),
        None => return Ok(None),
        // Digits only: `+5`, `-1` or ` 5` are mistakes, not numbers.
        Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n
            .parse::<u64>()
            .map_err(|_| bad("`since` is larger than any seq"))?,
        Some(_) => return Err(bad("`since` must be a non-negative integer (a seq)")),
    };
    let epoch = match epoch {
        None => None,
        Some(e) if is_epoch(e) => Some(e.to_owned()),
        Some(_) => {
            return Err(bad(
                "`epoch` must be the `epoch` of an earlier `connection_established`",
            ))
        }
    };
    Ok(Some(ResumeQuery { since, epoch }))
}

/// What an `epoch` the server handed out can look like.
pub(crate) fn is_epoch(e: &str) -> bool {
    !e.is_empty()
        && e.len() <= MAX_EPOCH_LEN
        && e.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> Result<Option<ResumeQuery>, StatusCode> {
        parse_query(Some(q)).map_err(|r| r.status())
    }

    #[test]
    fn resume_queries() {
        assert_eq!(query(""), Ok(None));
        assert_eq!(query("x=1"), Ok(None));
        assert_eq!(
            query("since=5&epoch=ab12"),
            Ok(Some(ResumeQuery {
                since: 5,
                epoch: Some("ab12".into())
            }))
        );
        assert_eq!(
            query("since=18446744073709551615"),
            Ok(Some(ResumeQuery {
                since: u64::MAX,
                epoch: None
            }))
        );
        for bad in [
            "since=+5",
            "since=-1",
            "since=",
            "since=5&since=6",
            "since=18446744073709551616",
            "since=1e3",
            "epoch=ab",
            "since=1&epoch=",
            "since=1&epoch=a%20b",
            "since=1&epoch=a&epoch=a",
        ] {
            assert_eq!(query(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn websocket_keys() {
        assert!(is_websocket_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_websocket_key(b"dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!is_websocket_key(b"dGhlIHNhbXBsZSBub25jZ!=="));
        assert!(!is_websocket_key(b""));
    }
}
