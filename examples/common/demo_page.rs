//! The golden path's live demo: the axum app of `axum_app.rs` plus a page
//! that chats with the demo agent through the typed browser client.
//!
//! - `GET /`: the page (`clients/demo/index.html`);
//! - `GET /agentwire.js`: the browser client (`clients/ts/dist/agentwire.js`);
//! - `GET /demo-token?user=NAME`: a short-lived JWT for `NAME` (default
//!   `demo`). **Demo only**: it hands a token to anyone who asks; a real
//!   app issues tokens after its own login.
//! - `GET /ws`, `GET /api/health`, `POST /api/token`: as in `axum_app.rs`.
//!
//! Included with `#[path = ".."] mod demo_page;` next to `axum_app.rs`.
#![allow(dead_code)]

use std::time::Duration;

use agentwire::server::{JwtAuth, ServerConfig, WsService};
use agentwire::{Hub, UserId};
use axum::http::{header, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::app;

/// How long the page's tokens are valid; the client fetches a new one for
/// every connection, so an expired token (close code 4001) is replaced.
pub const DEMO_TOKEN_TTL: Duration = Duration::from_secs(600);

const PAGE: &str = include_str!("../../clients/demo/index.html");
const CLIENT: &str = include_str!("../../clients/ts/dist/agentwire.js");

/// The axum app with the demo page mounted; keep the [`WsService`] to shut
/// the endpoint down.
pub fn router(
    hub: Hub,
    config: ServerConfig,
    tokens: JwtAuth,
) -> Result<(Router, WsService), agentwire::Error> {
    let (api, ws) = app::app(hub, config, tokens.clone())?;
    let router = api
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", PAGE) }),
        )
        .route(
            "/agentwire.js",
            get(|| async { asset("text/javascript; charset=utf-8", CLIENT) }),
        )
        .route(
            "/demo-token",
            get(move |uri: Uri| async move { demo_token(&tokens, &uri) }),
        );
    Ok((router, ws))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
}

/// Demo only: a token for the user the query names.
fn demo_token(tokens: &JwtAuth, uri: &Uri) -> impl IntoResponse {
    let user = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("user="))
        .unwrap_or("demo");
    // Plain names only, so that the query needs no decoding.
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if user.is_empty() || user.len() > 64 || !user.chars().all(plain) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "user: 1 to 64 of A-Z a-z 0-9 - _" })),
        );
    }
    let issued = UserId::new(user).and_then(|u| tokens.issue(&u, DEMO_TOKEN_TTL));
    match issued {
        Ok(token) => (
            StatusCode::OK,
            Json(json!({ "token": token, "user": user, "expires_in": DEMO_TOKEN_TTL.as_secs() })),
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": e.to_string() })),
        ),
    }
}
