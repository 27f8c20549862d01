//! An ordinary axum app with agentwire mounted at `/ws`: what
//! `examples/axum_app.rs` serves and `tests/axum_app.rs` tests.
//!
//! Included with `#[path = ".."] mod app;` rather than declared in
//! `common/mod.rs`, so that the golden path examples do not build axum.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use agentwire::server::{JwtAuth, ServerConfig, WsService};
use agentwire::{Hub, UserId};
use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tower_http::cors::{Any, CorsLayer};

/// How long the tokens of `POST /api/token` are valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);

#[derive(Clone)]
struct AppState {
    hub: Hub,
    ws: WsService,
    tokens: JwtAuth,
}

/// The app's router and the agentwire endpoint mounted in it:
///
/// - `GET /api/health`: `{"status":"ok","agents":[..],"connections":n,"active_runs":n}`
/// - `POST /api/token` with `{"user":"alice"}`: `{"token":..,"user":..,"expires_in":3600}`.
///   **Development only**: it hands a token to anyone who asks. A real app
///   issues tokens after its own login, with the secret of `config`'s `JwtAuth`.
/// - `GET /ws`: agentwire's WebSocket endpoint, authenticated by `config`.
/// - `GET /metrics` (with the `metrics` feature): agentwire's metrics in
///   Prometheus text. Keep it off the public internet (e.g. on an admin port).
///
/// Keep the returned [`WsService`] to shut the endpoint down (see [`serve`]).
pub fn app(
    hub: Hub,
    config: ServerConfig,
    tokens: JwtAuth,
) -> Result<(Router, WsService), agentwire::Error> {
    let ws = hub.ws_service(config)?;
    let state = AppState {
        hub,
        ws: ws.clone(),
        tokens,
    };
    // CORS is for the REST routes, called with `fetch` from another origin.
    // Browsers do not apply CORS to WebSockets: to restrict the pages that
    // may open `/ws`, use `ServerConfig::allowed_origins`.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]);
    let router = Router::new()
        .route("/api/health", get(health))
        .route("/api/token", post(issue_token))
        .route_service("/ws", ws.clone());
    #[cfg(feature = "metrics")]
    let router = router.route("/metrics", get(metrics_text));
    let router = router.layer(cors).with_state(state);
    Ok((router, ws))
}

/// The process's one Prometheus recorder, installed on first use (a
/// process has one `metrics` recorder); `None` if another was installed.
#[cfg(feature = "metrics")]
fn prometheus() -> Option<&'static metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .ok()?;
            agentwire::metrics::describe();
            Some(handle)
        })
        .as_ref()
}

/// Installs the recorder, so that metrics are recorded from the start
/// rather than from the first scrape.
pub fn install_metrics() {
    #[cfg(feature = "metrics")]
    let _ = prometheus();
}

/// `GET /metrics`: Prometheus text exposition.
#[cfg(feature = "metrics")]
async fn metrics_text() -> Result<([(header::HeaderName, &'static str); 1], String), StatusCode> {
    let handle = prometheus().ok_or(StatusCode::SERVICE_UNAVAILABLE)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    ))
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    let agents: Vec<&str> = state.hub.agent_names().collect();
    Json(json!({
        "status": "ok",
        "agents": agents,
        "connections": state.ws.connection_count(),
        "active_runs": state.ws.active_runs(),
    }))
}

#[derive(Deserialize)]
struct TokenRequest {
    user: String,
}

/// Development only: issues a token for whichever user the body names.
async fn issue_token(
    State(state): State<AppState>,
    Json(req): Json<TokenRequest>,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    let bad_request = |e: agentwire::Error| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": e.to_string() })),
        )
    };
    let user = UserId::new(req.user).map_err(bad_request)?;
    let token = state.tokens.issue(&user, TOKEN_TTL).map_err(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": e.to_string() })),
        )
    })?;
    Ok(Json(json!({
        "token": token,
        "user": user.as_str(),
        "expires_in": TOKEN_TTL.as_secs(),
    })))
}

/// Serves the app until `signal` resolves, then shuts down in this order:
///
/// 1. agentwire's endpoint ([`WsService::shutdown`]): new handshakes get 503,
///    the runs clients started end with their terminal events, queued events
///    are written, and every tab is closed with 1001. axum cannot do this
///    itself: an upgraded WebSocket is no longer an HTTP request, so its
///    graceful shutdown neither waits for nor closes it, and the tabs would
///    see their connections reset when the process exits.
/// 2. axum's graceful shutdown: stop accepting, finish in-flight requests.
///
/// The REST routes keep answering during step 1.
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    ws: WsService,
    signal: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            signal.await;
            ws.shutdown().await;
        })
        .await
}
