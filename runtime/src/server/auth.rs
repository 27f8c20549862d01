//! JWT (HS256) authentication of WebSocket handshakes.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{Error, UserId};

/// Verifies (and, for development, issues) HS256 JWTs. The token's `sub` is
/// the user id; `exp` is required. `alg: none`, other algorithms, bad
/// signatures, expired or malformed tokens are refused.
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
    validation: Validation,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
}

/// Why a token was refused. The message never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization: Bearer` header and no `bearer.<jwt>` subprotocol.
    #[error("no token: send `Authorization: Bearer <jwt>` or the subprotocols `agentwire.v1, bearer.<jwt>`")]
    Missing,
    /// The token has expired.
    #[error("the token has expired")]
    Expired,
    /// The token is not a valid HS256 JWT for this server.
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

impl JwtAuth {
    /// HS256 with `secret`. Rejects an empty secret.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        let secret = secret.as_ref();
        if secret.is_empty() {
            return Err(Error::config("the JWT secret is empty"));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(JwtAuth {
            decoding: DecodingKey::from_secret(secret),
            encoding: EncodingKey::from_secret(secret),
            validation,
        })
    }

    /// The user a token authenticates.
    pub fn verify(&self, token: &str) -> Result<UserId, AuthError> {
        use jsonwebtoken::errors::ErrorKind;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::InvalidSignature => AuthError::Invalid("bad signature".into()),
                ErrorKind::InvalidAlgorithm => AuthError::Invalid("algorithm is not HS256".into()),
                ErrorKind::MissingRequiredClaim(c) => AuthError::Invalid(format!("missing `{c}`")),
                _ => AuthError::Invalid("malformed".into()),
            })?;
        UserId::new(&data.claims.sub).map_err(|e| AuthError::Invalid(format!("bad `sub`: {e}")))
    }

    /// A token for `user`, valid for `ttl`: for development tools and tests;
    /// production tokens usually come from the identity provider.
    pub fn issue(&self, user: &UserId, ttl: Duration) -> Result<String, Error> {
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(ttl)
            .as_secs();
        let claims = Claims {
            sub: user.as_str().to_owned(),
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::config(format!("could not sign a token: {e}")))
    }
}

impl fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtAuth { alg: HS256, secret: <redacted> }")
    }
}
