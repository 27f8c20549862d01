//! JWT (HS256) authentication of WebSocket handshakes.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Error, UserId};

const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);
/// A longer leeway would keep a stolen token alive long after any plausible
/// clock skew.
const MAX_LEEWAY: Duration = Duration::from_secs(24 * 60 * 60);
/// 9999-12-31T23:59:59Z. Later dates are refused so that `exp + leeway`
/// fits a `SystemTime` on every platform.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// Verifies (and, for development, issues) HS256 JWTs. The token's `sub` is
/// the user id; `exp` is required and `nbf` is honoured, both with a
/// [`leeway`](JwtAuth::leeway) for clock skew. `alg: none`, other
/// algorithms, a `crit` header, bad signatures, expired, not-yet-valid or
/// malformed tokens are refused.
///
/// ```
/// use std::time::Duration;
/// use agentwire::server::JwtAuth;
///
/// let auth = JwtAuth::hs256("a long random secret")?;
/// let alice = agentwire::UserId::new("alice")?;
/// let token = auth.issue(&alice, Duration::from_secs(3600))?;
/// assert_eq!(auth.verify(&token)?, alice);
/// assert!(auth.verify("not.a.jwt").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwtAuth {
    decoding: DecodingKey,
    encoding: EncodingKey,
    leeway: Duration,
}

/// The user a verified token authenticates, and when the token stops being
/// valid: the server closes the connection then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) user: UserId,
    /// `exp` plus the leeway.
    pub(crate) expires_at: SystemTime,
}

/// Why a handshake's credentials were refused, with the HTTP
/// [`status`](AuthError::status) to answer. The message tells the client
/// what to change and never contains the token.
///
/// | variant | status |
/// |---|---|
/// | `Ambiguous`, `InvalidSubprotocols` | 400 |
/// | every other variant | 401 |
///
/// ```
/// use agentwire::server::{AuthError, JwtAuth};
///
/// let auth = JwtAuth::hs256("a long random secret")?;
/// let err = auth.verify("not-a-jwt").unwrap_err();
/// assert_eq!(err, AuthError::Malformed);
/// assert_eq!(err.status(), 401);
/// assert!(err.to_string().contains("header.payload.signature"));
/// # Ok::<(), agentwire::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization: Bearer` header and no `bearer.<jwt>` subprotocol.
    #[error("no token: send `Authorization: Bearer <jwt>`, or from a browser the subprotocols `agentwire.v1, bearer.<jwt>`")]
    Missing,
    /// The `Authorization` header uses a scheme other than Bearer.
    #[error("the `Authorization` header does not use the Bearer scheme: send `Authorization: Bearer <jwt>`")]
    NotBearer,
    /// More than one token: two `Authorization` headers, two `bearer.`
    /// subprotocols, or a Bearer header and a `bearer.` subprotocol.
    #[error("more than one token (two `Authorization` headers, two `bearer.` subprotocols, or both methods): send the token once, either as `Authorization: Bearer <jwt>` or as the subprotocol `bearer.<jwt>`")]
    Ambiguous,
    /// `Sec-WebSocket-Protocol` is not a comma-separated list of tokens.
    #[error("`Sec-WebSocket-Protocol` is not a comma-separated list of names (visible ASCII without spaces): offer `agentwire.v1, bearer.<jwt>`")]
    InvalidSubprotocols,
    /// The token is not a compact JWS: three base64url segments, the first
    /// two JSON objects.
    #[error("the token is not a JWT: send the compact form `header.payload.signature` exactly as issued (base64url without padding or spaces)")]
    Malformed,
    /// The header's `alg` is not `HS256` (e.g. `none`, `HS512`, `RS256`).
    #[error(
        "the token is not signed with HS256: issue it with `alg: HS256` and this server's secret"
    )]
    WrongAlgorithm,
    /// The header has a `crit` member. Its extensions must be understood to
    /// accept the token (RFC 7515 §4.1.11) and this server implements none.
    #[error("the token's header has `crit`, but this server supports no critical JWS extensions: issue the token without `crit`")]
    CriticalExtension,
    /// The signature does not match: another secret, or an altered token.
    #[error("the token's signature does not match: it was signed with another secret or altered; get a token issued for this server")]
    BadSignature,
    /// A required claim (`exp` or `sub`) is absent.
    #[error("the token has no `{0}` claim: issue it with `sub` (the user id) and `exp` (when it expires)")]
    MissingClaim(&'static str),
    /// `exp` or `nbf` is not a NumericDate this server can represent.
    #[error("the token's `{0}` claim is not a date: issue it as a number of seconds since 1970-01-01 UTC, before the year 10000")]
    InvalidClaim(&'static str),
    /// `sub` is not a valid [`UserId`]; holds what is wrong with it.
    #[error("the token's `sub` is not a valid user id ({0}): issue it as a non-empty string of at most 256 bytes, without control characters or surrounding whitespace")]
    InvalidSubject(&'static str),
    /// `exp` (plus the leeway) has passed.
    #[error("the token has expired: get a new one and reconnect")]
    Expired,
    /// `nbf` (minus the leeway) is still ahead.
    #[error("the token is not valid yet (its `nbf` is in the future): wait until then, or check the clocks of the issuer and this server")]
    NotYetValid,
}

impl AuthError {
    /// The HTTP status to refuse the handshake with: 400 for a malformed
    /// request (RFC 6750 `invalid_request`), 401 otherwise.
    ///
    /// ```
    /// use agentwire::server::AuthError;
    ///
    /// assert_eq!(AuthError::Ambiguous.status(), 400);
    /// assert_eq!(AuthError::Missing.status(), 401);
    /// assert_eq!(AuthError::Expired.status(), 401);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Ambiguous | AuthError::InvalidSubprotocols => 400,
            _ => 401,
        }
    }

    /// The `WWW-Authenticate` value to send with the refusal (RFC 6750 §3):
    /// no error code when there were no usable credentials.
    pub(crate) fn challenge(&self) -> &'static str {
        match self {
            AuthError::Missing | AuthError::NotBearer => "Bearer",
            _ if self.status() == 400 => r#"Bearer error="invalid_request""#,
            _ => r#"Bearer error="invalid_token""#,
        }
    }
}

impl JwtAuth {
    /// HS256 with `secret`, a leeway of 5 seconds. Rejects an empty secret.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        let secret = secret.as_ref();
        if secret.is_empty() {
            return Err(Error::config("the JWT secret is empty"));
        }
        Ok(JwtAuth {
            decoding: DecodingKey::from_secret(secret),
            encoding: EncodingKey::from_secret(secret),
            leeway: DEFAULT_LEEWAY,
        })
    }

    /// How much clock skew between the token's issuer and this server to
    /// tolerate: a token is accepted from `nbf - leeway` until
    /// `exp + leeway`. 5 seconds by default; at most a day (longer values
    /// count as a day).
    ///
    /// ```
    /// use std::time::Duration;
    /// use agentwire::server::{AuthError, JwtAuth};
    ///
    /// let strict = JwtAuth::hs256("a long random secret")?.leeway(Duration::ZERO);
    /// let alice = agentwire::UserId::new("alice")?;
    /// // `exp` is now, to the second: past, with no leeway...
    /// let token = strict.issue(&alice, Duration::ZERO)?;
    /// assert_eq!(strict.verify(&token), Err(AuthError::Expired));
    /// // ...and still accepted with a minute of it.
    /// let lenient = strict.leeway(Duration::from_secs(60));
    /// assert_eq!(lenient.verify(&token)?, alice);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.min(MAX_LEEWAY);
        self
    }

    /// The configured leeway, which a token's remaining lifetime may
    /// exceed its issued lifetime by.
    pub(crate) fn clock_leeway(&self) -> Duration {
        self.leeway
    }

    /// The user a token authenticates.
    ///
    /// ```
    /// use std::time::Duration;
    /// use agentwire::server::{AuthError, JwtAuth};
    ///
    /// let auth = JwtAuth::hs256("a long random secret")?;
    /// let other = JwtAuth::hs256("another secret")?;
    /// let alice = agentwire::UserId::new("alice")?;
    /// let token = other.issue(&alice, Duration::from_secs(60))?;
    /// assert_eq!(auth.verify(&token), Err(AuthError::BadSignature));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify(&self, token: &str) -> Result<UserId, AuthError> {
        self.authenticate(token).map(|identity| identity.user)
    }

    /// The user a token authenticates and when the token expires.
    pub(crate) fn authenticate(&self, token: &str) -> Result<Identity, AuthError> {
        self.authenticate_at(token, SystemTime::now())
    }

    fn authenticate_at(&self, token: &str, now: SystemTime) -> Result<Identity, AuthError> {
        let mut segments = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(AuthError::Malformed);
        };
        // The header says how to verify, so it is checked first (RFC 7515
        // §5.2); the claims are only read once the signature holds.
        let header = jose_header(header)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(AuthError::WrongAlgorithm);
        }
        // A well-formed `crit` names extensions this server does not
        // implement and a malformed one makes the token invalid: either
        // way, refused.
        if header.contains_key("crit") {
            return Err(AuthError::CriticalExtension);
        }
        let payload = base64url_decode(payload).ok_or(AuthError::Malformed)?;
        let signing_input = &token[..token.len() - signature.len() - 1];
        match jsonwebtoken::crypto::verify(
            signature,
            signing_input.as_bytes(),
            &self.decoding,
            Algorithm::HS256,
        ) {
            Ok(true) => {}
            Ok(false) => return Err(AuthError::BadSignature),
            Err(_) => return Err(AuthError::Malformed),
        }
        // Duplicate claims keep the last value, which RFC 7519 §4 allows.
        let claims: Map<String, Value> =
            serde_json::from_slice(&payload).map_err(|_| AuthError::Malformed)?;
        // Problems the issuer must fix come before the ones time fixes.
        let exp = numeric_date(&claims, "exp")?.ok_or(AuthError::MissingClaim("exp"))?;
        let user = subject(&claims)?;
        let nbf = numeric_date(&claims, "nbf")?;
        let expires_at = exp
            .checked_add(self.leeway)
            .ok_or(AuthError::InvalidClaim("exp"))?;
        if now >= expires_at {
            return Err(AuthError::Expired);
        }
        if let (Some(nbf), Some(skewed)) = (nbf, now.checked_add(self.leeway)) {
            if skewed < nbf {
                return Err(AuthError::NotYetValid);
            }
        }
        Ok(Identity { user, expires_at })
    }

    /// A token for `user`, valid for `ttl`: for development tools and tests;
    /// production tokens usually come from the identity provider.
    ///
    /// ```
    /// use std::time::Duration;
    /// use agentwire::server::JwtAuth;
    ///
    /// let auth = JwtAuth::hs256("a long random secret")?;
    /// let bob = agentwire::UserId::new("bob")?;
    /// let token = auth.issue(&bob, Duration::from_secs(3600))?;
    /// assert_eq!(token.split('.').count(), 3);
    /// # Ok::<(), agentwire::Error>(())
    /// ```
    pub fn issue(&self, user: &UserId, ttl: Duration) -> Result<String, Error> {
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(ttl)
            .as_secs()
            .min(MAX_NUMERIC_DATE);
        let claims = IssuedClaims {
            sub: user.as_str(),
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::config(format!("could not sign a token: {e}")))
    }
}

impl fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "JwtAuth {{ alg: HS256, leeway: {:?}, secret: <redacted> }}",
            self.leeway
        )
    }
}

#[derive(Serialize)]
struct IssuedClaims<'a> {
    sub: &'a str,
    exp: u64,
}

/// The JOSE header of a compact JWS, as a JSON object. Duplicate members
/// keep the last value, which RFC 7515 §5.2 allows.
fn jose_header(encoded: &str) -> Result<Map<String, Value>, AuthError> {
    let json = base64url_decode(encoded).ok_or(AuthError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| AuthError::Malformed)
}

/// Strict base64url without padding (RFC 7515 §2): only `A–Z a–z 0–9 - _`,
/// and unused trailing bits must be zero, so each text has one decoding.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        Some(u32::from(v))
    }
    let text = text.as_bytes();
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        let mut bits = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            bits |= sextet(c)? << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1;
        if bits & ((1 << (24 - 8 * bytes)) - 1) != 0 {
            return None;
        }
        out.extend_from_slice(&bits.to_be_bytes()[1..=bytes]);
    }
    Some(out)
}

/// A NumericDate claim (RFC 7519 §2): seconds since the epoch, possibly
/// fractional. Dates before 1970 count as 1970, which orders them the same
/// against any current time.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<SystemTime>, AuthError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let invalid = || AuthError::InvalidClaim(name);
    let secs = value.as_f64().ok_or_else(invalid)?;
    if secs > MAX_NUMERIC_DATE as f64 {
        return Err(invalid());
    }
    let since_epoch = Duration::try_from_secs_f64(secs.max(0.0)).map_err(|_| invalid())?;
    UNIX_EPOCH
        .checked_add(since_epoch)
        .map(Some)
        .ok_or_else(invalid)
}

fn subject(claims: &Map<String, Value>) -> Result<UserId, AuthError> {
    match claims.get("sub") {
        None => Err(AuthError::MissingClaim("sub")),
        Some(Value::String(sub)) => UserId::new(sub).map_err(|e| match e {
            Error::InvalidId { reason, .. } => AuthError::InvalidSubject(reason),
            _ => AuthError::InvalidSubject("it is not a valid identifier"),
        }),
        Some(_) => Err(AuthError::InvalidSubject("it is not a string")),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::crypto;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    const SECRET: &str = "a long random secret";
    /// 2023-11-14T22:13:20Z: the clock of tests that pin the time.
    const T: u64 = 1_700_000_000;

    fn auth() -> JwtAuth {
        JwtAuth::hs256(SECRET).unwrap()
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn unix_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// A token signed by jsonwebtoken with `header` and arbitrary claims.
    fn signed(header: &Header, claims: &Value, secret: &str) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn hs256(claims: Value) -> String {
        signed(&Header::new(Algorithm::HS256), &claims, SECRET)
    }

    fn b64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut n = 0u32;
            for (i, &b) in chunk.iter().enumerate() {
                n |= u32::from(b) << (16 - 8 * i);
            }
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    /// A correctly HS256-signed token with a header and payload
    /// jsonwebtoken would refuse to produce.
    fn hand_signed(header: &str, payload: &str) -> String {
        let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        let key = EncodingKey::from_secret(SECRET.as_bytes());
        let signature = crypto::sign(message.as_bytes(), &key, Algorithm::HS256).unwrap();
        format!("{message}.{signature}")
    }

    fn good_claims() -> Value {
        json!({ "sub": "alice", "exp": T + 3600 })
    }

    #[test]
    fn a_good_token_yields_the_user_and_its_expiry_plus_leeway() {
        let identity = auth()
            .authenticate_at(&hs256(good_claims()), at(T))
            .unwrap();
        assert_eq!(identity.user.as_str(), "alice");
        assert_eq!(identity.expires_at, at(T + 3600 + 5));
    }

    #[test]
    fn verify_and_authenticate_agree_on_issued_tokens() {
        let auth = auth();
        let alice = UserId::new("alice").unwrap();
        let token = auth.issue(&alice, Duration::from_secs(600)).unwrap();
        assert_eq!(auth.verify(&token).unwrap(), alice);
        let identity = auth.authenticate(&token).unwrap();
        assert_eq!(identity.user, alice);
        let expires_in = identity
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap();
        assert!(expires_in > Duration::from_secs(600) && expires_in <= Duration::from_secs(605));
    }

    #[test]
    fn a_token_valid_from_tomorrow_is_refused_today() {
        let now = unix_now();
        let token = hs256(json!({ "sub": "alice", "nbf": now + 86_400, "exp": now + 2 * 86_400 }));
        assert_eq!(auth().verify(&token), Err(AuthError::NotYetValid));
        assert_eq!(auth().authenticate(&token), Err(AuthError::NotYetValid));
    }

    #[test]
    fn nbf_is_checked_with_the_leeway() {
        let token = hs256(json!({ "sub": "alice", "nbf": T, "exp": T + 3600 }));
        let auth = auth();
        assert!(auth.authenticate_at(&token, at(T - 5)).is_ok());
        assert!(auth.authenticate_at(&token, at(T)).is_ok());
        let just_too_early = at(T - 5) - Duration::from_nanos(1);
        assert_eq!(
            auth.authenticate_at(&token, just_too_early),
            Err(AuthError::NotYetValid)
        );
        let strict = auth.leeway(Duration::ZERO);
        assert!(strict.authenticate_at(&token, at(T)).is_ok());
        assert_eq!(
            strict.authenticate_at(&token, at(T) - Duration::from_nanos(1)),
            Err(AuthError::NotYetValid)
        );
        let lenient = strict.leeway(Duration::from_secs(60));
        assert!(lenient.authenticate_at(&token, at(T - 60)).is_ok());
        assert_eq!(
            lenient.authenticate_at(&token, at(T - 61)),
            Err(AuthError::NotYetValid)
        );
    }

    #[test]
    fn exp_is_checked_with_the_leeway() {
        let token = hs256(json!({ "sub": "alice", "exp": T }));
        let auth = auth();
        let last_moment = at(T + 5) - Duration::from_nanos(1);
        assert!(auth.authenticate_at(&token, last_moment).is_ok());
        assert_eq!(
            auth.authenticate_at(&token, at(T + 5)),
            Err(AuthError::Expired)
        );
        let strict = auth.clone().leeway(Duration::ZERO);
        assert_eq!(
            strict.authenticate_at(&token, at(T)),
            Err(AuthError::Expired)
        );
        let identity = strict
            .authenticate_at(&token, at(T) - Duration::from_nanos(1))
            .unwrap();
        assert_eq!(identity.expires_at, at(T));
        let lenient = auth.leeway(Duration::from_secs(60));
        assert_eq!(
            lenient
                .authenticate_at(&token, at(T + 59))
                .unwrap()
                .expires_at,
            at(T + 60)
        );
        assert_eq!(
            lenient.authenticate_at(&token, at(T + 60)),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn an_expired_token_is_refused_now() {
        let now = unix_now();
        let token = hs256(json!({ "sub": "alice", "exp": now - 60 }));
        assert_eq!(auth().verify(&token), Err(AuthError::Expired));
    }

    #[test]
    fn numeric_dates_may_be_fractional_negative_or_far_but_not_other_types() {
        let auth = auth().leeway(Duration::ZERO);
        let fractional = hs256(json!({ "sub": "alice", "exp": T as f64 + 0.5 }));
        assert_eq!(
            auth.authenticate_at(&fractional, at(T)).unwrap().expires_at,
            at(T) + Duration::from_millis(500)
        );
        let negative = hs256(json!({ "sub": "alice", "exp": -1 }));
        assert_eq!(
            auth.authenticate_at(&negative, at(T)),
            Err(AuthError::Expired)
        );
        let ancient_nbf = hs256(json!({ "sub": "alice", "nbf": -1e9, "exp": T + 1 }));
        assert!(auth.authenticate_at(&ancient_nbf, at(T)).is_ok());
        let last = hs256(json!({ "sub": "alice", "exp": MAX_NUMERIC_DATE }));
        assert!(auth.authenticate_at(&last, at(T)).is_ok());
        for exp in [
            json!(MAX_NUMERIC_DATE + 1),
            json!(u64::MAX),
            json!(1e300),
            json!("1700003600"),
            json!(null),
            json!(true),
            json!([T]),
            json!({ "secs": T }),
        ] {
            let token = hs256(json!({ "sub": "alice", "exp": exp }));
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::InvalidClaim("exp")),
                "exp: {exp}"
            );
            let token = hs256(json!({ "sub": "alice", "exp": T + 1, "nbf": exp }));
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::InvalidClaim("nbf")),
                "nbf: {exp}"
            );
        }
    }

    #[test]
    fn the_longest_leeway_on_the_latest_date_does_not_overflow() {
        let auth = auth().leeway(Duration::MAX);
        let token = hs256(json!({ "sub": "alice", "exp": MAX_NUMERIC_DATE }));
        let identity = auth.authenticate_at(&token, at(T)).unwrap();
        assert_eq!(identity.expires_at, at(MAX_NUMERIC_DATE) + MAX_LEEWAY);
        let old = hs256(json!({ "sub": "alice", "exp": T }));
        assert!(auth.authenticate_at(&old, at(T + 86_399)).is_ok());
        assert_eq!(
            auth.authenticate_at(&old, at(T + 86_400)),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn missing_claims_are_named() {
        let auth = auth();
        let no_exp = hs256(json!({ "sub": "alice" }));
        assert_eq!(
            auth.authenticate_at(&no_exp, at(T)),
            Err(AuthError::MissingClaim("exp"))
        );
        let no_sub = hs256(json!({ "exp": T + 60 }));
        assert_eq!(
            auth.authenticate_at(&no_sub, at(T)),
            Err(AuthError::MissingClaim("sub"))
        );
        let neither = hs256(json!({ "name": "alice" }));
        assert_eq!(
            auth.authenticate_at(&neither, at(T)),
            Err(AuthError::MissingClaim("exp"))
        );
        let empty = hs256(json!({}));
        assert_eq!(
            auth.authenticate_at(&empty, at(T)),
            Err(AuthError::MissingClaim("exp"))
        );
        assert!(AuthError::MissingClaim("exp")
            .to_string()
            .contains("no `exp` claim"));
        assert!(AuthError::MissingClaim("sub")
            .to_string()
            .contains("no `sub` claim"));
    }

    #[test]
    fn what_the_issuer_must_fix_is_reported_before_expiry() {
        let expired_without_sub = hs256(json!({ "exp": T - 3600 }));
        assert_eq!(
            auth().authenticate_at(&expired_without_sub, at(T)),
            Err(AuthError::MissingClaim("sub"))
        );
    }

    #[test]
    fn sub_must_be_a_valid_user_id() {
        let auth = auth();
        for (sub, reason) in [
            (json!(""), "it is empty"),
            (json!(" alice"), "it has leading or trailing whitespace"),
            (json!("al\u{7}ice"), "it contains control characters"),
            (json!("a".repeat(257)), "it is longer than 256 bytes"),
            (json!(42), "it is not a string"),
            (json!(null), "it is not a string"),
            (json!(["alice"]), "it is not a string"),
        ] {
            let token = hs256(json!({ "sub": sub, "exp": T + 60 }));
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::InvalidSubject(reason)),
                "sub: {sub}"
            );
        }
        let message = AuthError::InvalidSubject("it is empty").to_string();
        assert!(message.starts_with("the token's `sub` is not a valid user id (it is empty)"));
    }

    #[test]
    fn other_algorithms_are_refused_even_with_the_same_secret() {
        let auth = auth();
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let token = signed(&Header::new(alg), &good_claims(), SECRET);
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::WrongAlgorithm),
                "{alg:?}"
            );
        }
        let payload = good_claims().to_string();
        for header in [
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"alg":"hs256"}"#,
            r#"{"alg":"HS256 "}"#,
            r#"{"alg":null}"#,
            r#"{"alg":256}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            let token = hand_signed(header, &payload);
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::WrongAlgorithm),
                "{header}"
            );
        }
    }

    #[test]
    fn alg_none_is_refused_with_or_without_a_signature() {
        let message = format!(
            "{}.{}",
            b64(br#"{"alg":"none","typ":"JWT"}"#),
            b64(good_claims().to_string().as_bytes())
        );
        let auth = auth();
        assert_eq!(
            auth.authenticate_at(&format!("{message}."), at(T)),
            Err(AuthError::WrongAlgorithm)
        );
        let signed = hand_signed(r#"{"alg":"none"}"#, &good_claims().to_string());
        assert_eq!(
            auth.authenticate_at(&signed, at(T)),
            Err(AuthError::WrongAlgorithm)
        );
    }

    #[test]
    fn the_last_duplicate_header_member_counts() {
        let payload = good_claims().to_string();
        let none_last = hand_signed(r#"{"alg":"HS256","alg":"none"}"#, &payload);
        assert_eq!(
            auth().authenticate_at(&none_last, at(T)),
            Err(AuthError::WrongAlgorithm)
        );
        let hs256_last = hand_signed(r#"{"alg":"none","alg":"HS256"}"#, &payload);
        assert!(auth().authenticate_at(&hs256_last, at(T)).is_ok());
    }

    #[test]
    fn a_crit_header_naming_any_extension_is_refused() {
        let auth = auth();
        for names in [
            vec!["b64"],
            vec!["exp"],
            vec!["http://example.com/ext", "b64"],
        ] {
            let mut header = Header::new(Algorithm::HS256);
            header.crit = Some(names.iter().map(|n| n.to_string()).collect());
            for name in &names {
                header.extras.insert(*name, false);
            }
            let token = signed(&header, &good_claims(), SECRET);
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::CriticalExtension),
                "{names:?}"
            );
        }
    }

    #[test]
    fn a_malformed_crit_header_is_refused() {
        let payload = good_claims().to_string();
        let auth = auth();
        let control = hand_signed(r#"{"alg":"HS256","typ":"JWT"}"#, &payload);
        assert!(auth.authenticate_at(&control, at(T)).is_ok());
        for crit in [
            r#"[]"#,
            r#""b64""#,
            "null",
            "[1]",
            r#"[""]"#,
            r#"{"b64":true}"#,
            r#"["alg"]"#,
        ] {
            let header = format!(r#"{{"alg":"HS256","typ":"JWT","crit":{crit}}}"#);
            let token = hand_signed(&header, &payload);
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::CriticalExtension),
                "crit: {crit}"
            );
        }
    }

    #[test]
    fn a_crit_header_is_refused_before_the_signature_is_checked() {
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["b64".into()]);
        header.extras.insert("b64", false);
        let token = signed(&header, &good_claims(), "another secret");
        assert_eq!(
            auth().authenticate_at(&token, at(T)),
            Err(AuthError::CriticalExtension)
        );
    }

    #[test]
    fn a_foreign_or_altered_signature_is_refused() {
        let auth = auth();
        let foreign = signed(
            &Header::new(Algorithm::HS256),
            &good_claims(),
            "another secret",
        );
        assert_eq!(
            auth.authenticate_at(&foreign, at(T)),
            Err(AuthError::BadSignature)
        );

        let alice = hs256(good_claims());
        let mallory = hs256(json!({ "sub": "mallory", "exp": T + 3600 }));
        let [header, _, signature] = segments(&alice);
        let [_, payload, _] = segments(&mallory);
        let spliced = format!("{header}.{payload}.{signature}");
        assert_eq!(
            auth.authenticate_at(&spliced, at(T)),
            Err(AuthError::BadSignature)
        );

        let mut flipped = alice.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            auth.authenticate_at(&flipped, at(T)),
            Err(AuthError::BadSignature)
        );

        let unsigned = format!("{header}.{}.", segments(&alice)[1]);
        assert_eq!(
            auth.authenticate_at(&unsigned, at(T)),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn a_bad_signature_is_reported_before_bad_claims() {
        let foreign = signed(
            &Header::new(Algorithm::HS256),
            &json!({ "exp": "soon" }),
            "another secret",
        );
        assert_eq!(
            auth().authenticate_at(&foreign, at(T)),
            Err(AuthError::BadSignature)
        );
    }

    fn segments(token: &str) -> [&str; 3] {
        let parts: Vec<&str> = token.split('.').collect();
        [parts[0], parts[1], parts[2]]
    }

    #[test]
    fn what_is_not_a_compact_jws_is_malformed() {
        let auth = auth();
        let good = hs256(good_claims());
        let [header, payload, signature] = segments(&good);
        let header_json = b64(br#"{"alg":"HS256"}"#);
        for token in [
            String::new(),
            "not-a-jwt".into(),
            "not.a.jwt".into(),
            "..".into(),
            format!("{header}.{payload}"),
            format!("{header}.{payload}.{signature}.{signature}"),
            format!("{header}={payload}.{signature}"),
            format!("{header}=.{payload}.{signature}"),
            format!(" {good}"),
            format!("{good} "),
            format!("{header}.{payload} .{signature}"),
            format!("{}.{payload}.{signature}", header.replace('J', "+")),
            format!("{}.{payload}.{signature}", b64(b"not json")),
            format!("{}.{payload}.{signature}", b64(br#"["HS256"]"#)),
            format!(
                "{}.{payload}.{signature}",
                b64(br#"{"alg":"HS256"} trailing"#)
            ),
            format!("{header_json}.{payload}.{signature}*"),
        ] {
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::Malformed),
                "{token:?}"
            );
        }
    }

    #[test]
    fn signed_claims_that_are_not_a_json_object_are_malformed() {
        let auth = auth();
        for payload in [
            r#"["alice", 1700003600]"#,
            r#""alice""#,
            "null",
            "{",
            r#"{"sub":"alice","exp":1700003600}x"#,
        ] {
            let token = hand_signed(r#"{"alg":"HS256"}"#, payload);
            assert_eq!(
                auth.authenticate_at(&token, at(T)),
                Err(AuthError::Malformed),
                "{payload}"
            );
        }
        let message = b64(br#"{"alg":"HS256"}"#) + ".!!";
        let key = EncodingKey::from_secret(SECRET.as_bytes());
        let signature = crypto::sign(message.as_bytes(), &key, Algorithm::HS256).unwrap();
        let token = format!("{message}.{signature}");
        assert_eq!(
            auth.authenticate_at(&token, at(T)),
            Err(AuthError::Malformed)
        );
    }

    #[test]
    fn the_last_duplicate_claim_counts() {
        let header = r#"{"alg":"HS256"}"#;
        let expired_last = hand_signed(
            header,
            r#"{"sub":"alice","exp":1700003600,"exp":1600000000}"#,
        );
        assert_eq!(
            auth().authenticate_at(&expired_last, at(T)),
            Err(AuthError::Expired)
        );
        let valid_last = hand_signed(
            header,
            r#"{"sub":"alice","exp":1600000000,"exp":1700003600}"#,
        );
        assert!(auth().authenticate_at(&valid_last, at(T)).is_ok());
    }

    #[test]
    fn messages_never_contain_the_token() {
        let auth = auth().leeway(Duration::ZERO);
        let good = hs256(good_claims());
        let [header, payload, signature] = segments(&good);
        let tokens = [
            good.clone(),
            format!("{header}.{payload}.{}", &signature[1..]),
            signed(&Header::new(Algorithm::HS512), &good_claims(), SECRET),
            hs256(json!({ "sub": "alice" })),
            hs256(json!({ "sub": "", "exp": T + 60 })),
            hs256(json!({ "sub": "alice", "exp": T - 60 })),
            hs256(json!({ "sub": "alice", "exp": T + 60, "nbf": T + 30 })),
            hand_signed(r#"{"alg":"HS256","crit":["b64"],"b64":false}"#, payload),
        ];
        for token in tokens {
            if let Err(e) = auth.authenticate_at(&token, at(T + 1)) {
                let message = e.to_string();
                for part in token.split('.').filter(|p| p.len() > 3) {
                    assert!(!message.contains(part), "{message}");
                }
            }
        }
    }

    #[test]
    fn every_variant_has_a_status_and_a_challenge() {
        use AuthError::*;
        for (e, status, challenge) in [
            (Missing, 401, "Bearer"),
            (NotBearer, 401, "Bearer"),
            (Ambiguous, 400, r#"Bearer error="invalid_request""#),
            (
                InvalidSubprotocols,
                400,
                r#"Bearer error="invalid_request""#,
            ),
            (Malformed, 401, r#"Bearer error="invalid_token""#),
            (WrongAlgorithm, 401, r#"Bearer error="invalid_token""#),
            (CriticalExtension, 401, r#"Bearer error="invalid_token""#),
            (BadSignature, 401, r#"Bearer error="invalid_token""#),
            (MissingClaim("exp"), 401, r#"Bearer error="invalid_token""#),
            (InvalidClaim("nbf"), 401, r#"Bearer error="invalid_token""#),
            (
                InvalidSubject("it is empty"),
                401,
                r#"Bearer error="invalid_token""#,
            ),
            (Expired, 401, r#"Bearer error="invalid_token""#),
            (NotYetValid, 401, r#"Bearer error="invalid_token""#),
        ] {
            assert_eq!(e.status(), status, "{e:?}");
            assert_eq!(e.challenge(), challenge, "{e:?}");
            // Every message says what to do, after a colon.
            assert!(e.to_string().contains(": "), "{e}");
        }
    }

    #[test]
    fn debug_shows_the_leeway_but_not_the_secret() {
        let shown = format!("{:?}", auth().leeway(Duration::from_secs(30)));
        assert_eq!(
            shown,
            "JwtAuth { alg: HS256, leeway: 30s, secret: <redacted> }"
        );
    }

    #[test]
    fn base64url_decodes_the_rfc_4648_vectors() {
        for (text, bytes) in [
            ("", &b""[..]),
            ("Zg", b"f"),
            ("Zm8", b"fo"),
            ("Zm9v", b"foo"),
            ("Zm9vYg", b"foob"),
            ("Zm9vYmE", b"fooba"),
            ("Zm9vYmFy", b"foobar"),
            ("-_8", &[0xfb, 0xff]),
        ] {
            assert_eq!(base64url_decode(text).as_deref(), Some(bytes), "{text}");
        }
    }

    #[test]
    fn base64url_refuses_padding_other_alphabets_and_stray_bits() {
        for text in [
            "Zg==",
            "Zg=",
            "+/8",
            "Z",
            "Zm9vY",
            "Zm8 ",
            "Zm\u{e9}v",
            "Zm8.",
        ] {
            assert_eq!(base64url_decode(text), None, "{text}");
        }
        // "f" is "Zg" and "fo" is "Zm8": these differ only in unused bits.
        for text in ["Zh", "Z_", "Zm9", "Zm-"] {
            assert_eq!(base64url_decode(text), None, "{text}");
        }
    }

    proptest! {
        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(base64url_decode(&b64(&bytes)), Some(bytes));
        }

        #[test]
        fn headers_jsonwebtoken_writes_read_back(kid in ".{0,40}") {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(kid.clone());
            let token = signed(&header, &good_claims(), SECRET);
            let parsed = jose_header(segments(&token)[0]).unwrap();
            prop_assert_eq!(parsed.get("kid"), Some(&json!(kid)));
            prop_assert!(auth().authenticate_at(&token, at(T)).is_ok());
        }
    }
}
