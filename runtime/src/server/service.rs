//! The endpoint as a service: mount it in an axum `Router` or a hyper
//! server, or let [`Hub::serve`](crate::Hub::serve) own a listener.

use std::convert::Infallible;
use std::fmt;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;

use super::handshake::{self, Body, Rejection};
use super::sse::{self, BoxFuture, SseBody, SseService};
use super::{conn, Shared};

/// The WebSocket endpoint as a [`tower_service::Service`]: answers the
/// handshake, then serves the connection on its own task. It serves
/// whatever path it is mounted at.
///
/// Obtained from [`Hub::ws_service`](crate::Hub::ws_service). Clones share
/// the endpoint; [`shutdown`](WsService::shutdown) ends its connections and
/// runs gracefully.
#[derive(Clone)]
pub struct WsService {
    pub(crate) shared: Arc<Shared>,
}

impl WsService {
    /// Answers one request: `101 Switching Protocols` (and the connection
    /// is served on its own task once the upgrade completes), or an HTTP
    /// error saying what is wrong with the request.
    pub(crate) fn respond<B>(&self, mut req: Request<B>) -> Response<Body> {
        if self.shared.runs.is_stopping() {
            crate::metrics::handshake_refused("shutting_down");
            return Rejection::unavailable().into_response();
        }
        let (accepted, resp) = match handshake::check(&self.shared.config, &req) {
            Ok(ok) => ok,
            Err(rejection) => {
                crate::metrics::handshake_refused(refusal_reason(rejection.status()));
                tracing::info!(
                    target: "agentwire::server",
                    status = rejection.status().as_u16(),
                    reason = rejection.message(),
                    "handshake refused"
                );
                return rejection.into_response();
            }
        };
        let upgrade = hyper::upgrade::on(&mut req);
        let shared = self.shared.clone();
        let guard = shared.connections.enter();
        tokio::spawn(async move {
            let _guard = guard;
            // The client went away before the upgrade completed.
            let Ok(upgraded) = upgrade.await else { return };
            let ws = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(shared.ws_config),
            )
            .await;
            conn::run(shared, ws, accepted).await;
        });
        resp
    }

    /// Stops gracefully: new handshakes get 503; the runs started by
    /// clients are cancelled, each ending with its terminal events; the
    /// events already queued are written; then every connection is closed
    /// with 1001 (going away). Resolves when that is done, or after the
    /// write timeout (plus a second) per step.
    pub async fn shutdown(&self) {
        self.shared.shutdown().await;
    }

    /// The Server-Sent Events endpoint of this endpoint: its runs,
    /// per-user connection cap, counters and [`shutdown`](WsService::shutdown)
    /// are shared with the WebSocket connections.
    ///
    /// ```
    /// use agentwire::prelude::*;
    /// use agentwire::server::{JwtAuth, ServerConfig};
    ///
    /// let hub = Hub::builder().build()?;
    /// let ws = hub.ws_service(ServerConfig::new(JwtAuth::hs256("a long random secret")?))?;
    /// let sse = ws.sse_service();
    /// // e.g. axum: Router::new().route_service("/ws", ws).route_service("/events", sse)
    /// # let _ = sse;
    /// # Ok::<(), agentwire::Error>(())
    /// ```
    pub fn sse_service(&self) -> SseService {
        SseService {
            shared: self.shared.clone(),
        }
    }

    /// Open connections of this endpoint (WebSocket and SSE), all users
    /// together.
    pub fn connection_count(&self) -> usize {
        self.shared.connections.active()
    }

    /// Runs started by `user_message`s on this endpoint that have not ended.
    pub fn active_runs(&self) -> usize {
        self.shared.runs.active()
    }
}

impl<B> tower_service::Service<Request<B>> for WsService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        ready(Ok(self.respond(req)))
    }
}

/// The `reason` label of a refused handshake.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
fn refusal_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden_origin",
        405 => "method_not_allowed",
        426 => "upgrade_required",
        431 => "headers_too_large",
        503 => "shutting_down",
        _ => "other",
    }
}

/// The endpoints at their paths, for the listener
/// [`Hub::serve`](crate::Hub::serve) owns: `/ws` and `/events`.
#[derive(Clone)]
pub(crate) struct AtPath {
    pub(crate) service: WsService,
}

/// The paths [`AtPath`] answers.
#[cfg(not(feature = "ag-ui"))]
const PATHS: &str = "/ws (WebSocket) and /events (Server-Sent Events)";
#[cfg(feature = "ag-ui")]
const PATHS: &str = "/ws (WebSocket), /events (Server-Sent Events) and /ag-ui (AG-UI)";

impl hyper::service::Service<Request<hyper::body::Incoming>> for AtPath {
    type Response = Response<SseBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<SseBody>, Infallible>>;

    fn call(&self, req: Request<hyper::body::Incoming>) -> Self::Future {
        match req.uri().path() {
            "/ws" => {
                let resp = self.service.respond(req).map(SseBody::full);
                Box::pin(ready(Ok(resp)))
            }
            "/events" => {
                let sse = self.service.sse_service();
                Box::pin(async move { Ok(sse.respond(req).await) })
            }
            #[cfg(feature = "ag-ui")]
            "/ag-ui" => {
                let mut ag_ui = self.service.ag_ui_service();
                tower_service::Service::call(&mut ag_ui, req)
            }
            _ => {
                let msg = format!("not found: the endpoints are {PATHS}");
                let resp = sse::reject(Rejection::new(StatusCode::NOT_FOUND, msg));
                Box::pin(ready(Ok(resp)))
            }
        }
    }
}

impl fmt::Debug for WsService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsService")
            .field("connections", &self.connection_count())
            .field("runs", &self.active_runs())
            .finish()
    }
}
