//! The WebSocket endpoint (`GET /ws`) and the Server-Sent Events endpoint
//! (`GET`/`POST /events`): JWT-authenticated, one ordered stream of the
//! authenticated user's events per connection.
//!
//! ```no_run
//! use std::time::Duration;
//! use agentwire::prelude::*;
//! use agentwire::server::{JwtAuth, ServerConfig};
//!
//! #[agent]
//! async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
//!     emit!(run, agent_thinking { reasoning: "reading" });
//!     Ok(msg.content)
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), agentwire::Error> {
//! let hub = Hub::builder().agent(researcher).build()?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8765").await?;
//! let config = ServerConfig::new(JwtAuth::hs256("a long random secret")?)
//!     .max_connections_per_user(5)
//!     .write_timeout(Duration::from_secs(5));
//! let server = hub.serve(listener, config).await?;
//! // ... until it is time to stop:
//! server.shutdown().await;
//! # Ok(()) }
//! ```

#[cfg(feature = "ag-ui")]
mod ag_ui;
mod auth;
mod conn;
mod credentials;
mod handshake;
mod protocol;
mod reader;
mod runs;
mod service;
mod signal;
mod sse;
mod tasks;
mod writer;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[cfg(feature = "ag-ui")]
pub use ag_ui::AgUiService;
pub use auth::{AuthError, JwtAuth};
pub use protocol::ErrorCode;
pub use service::WsService;
pub use signal::shutdown_signal;
pub use sse::{SseBody, SseService};

use crate::{Error, Hub};
use tasks::TaskGroup;

/// The close codes the server sends. Application codes are in the
/// 4000–4999 range that RFC 6455 leaves to applications.
///
/// | code | variant | when |
/// |---|---|---|
/// | 1000 | `Normal` | the client closed, or the server had nothing more to say |
/// | 1001 | `GoingAway` | the server is shutting down |
/// | 1002 | `ProtocolError` | the client broke RFC 6455 (bad framing, masking, opcodes, close codes) |
/// | 1007 | `InvalidData` | a text frame or close reason that is not UTF-8 |
/// | 1008 | `Policy` | the peer stopped answering pings |
/// | 1009 | `TooBig` | an inbound message exceeded the inbound limit (64 KiB by default) |
/// | 1011 | `Internal` | an unexpected server error |
/// | 4001 | `TokenExpired` | the token's `exp` passed: reconnect with a fresh token |
/// | 4008 | `SlowConsumer` | the connection fell more than its queue behind the user's events |
/// | 4009 | `OverConnectionCap` | the user already has the maximum number of connections open |
/// | 4029 | `RateLimited` | the client sent messages faster than the inbound rate limit |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseCode {
    /// 1000
    Normal,
    /// 1001
    GoingAway,
    /// 1002
    ProtocolError,
    /// 1007
    InvalidData,
    /// 1008
    Policy,
    /// 1009
    TooBig,
    /// 1011
    Internal,
    /// 1013
    TryAgainLater,
    /// 4001
    TokenExpired,
    /// 4008
    SlowConsumer,
    /// 4009
    OverConnectionCap,
    /// 4010
    StreamReset,
    /// 4029
    RateLimited,
}

impl CloseCode {
    /// The numeric code on the wire.
    ///
    /// ```
    /// assert_eq!(agentwire::server::CloseCode::SlowConsumer.code(), 4008);
    /// ```
    pub fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::InvalidData => 1007,
            CloseCode::Policy => 1008,
            CloseCode::TooBig => 1009,
            CloseCode::Internal => 1011,
            CloseCode::TryAgainLater => 1013,
            CloseCode::TokenExpired => 4001,
            CloseCode::SlowConsumer => 4008,
            CloseCode::OverConnectionCap => 4009,
            CloseCode::StreamReset => 4010,
            CloseCode::RateLimited => 4029,
        }
    }

    /// Every code the server sends, in the order the README lists them.
    pub const ALL: [CloseCode; 13] = [
        CloseCode::Normal,
        CloseCode::GoingAway,
        CloseCode::ProtocolError,
        CloseCode::InvalidData,
        CloseCode::Policy,
        CloseCode::TooBig,
        CloseCode::Internal,
        CloseCode::TryAgainLater,
        CloseCode::TokenExpired,
        CloseCode::SlowConsumer,
        CloseCode::OverConnectionCap,
        CloseCode::StreamReset,
        CloseCode::RateLimited,
    ];

    /// The code for a number, if it is one of these.
    ///
    /// ```
    /// use agentwire::server::CloseCode;
    /// assert_eq!(CloseCode::from_code(4001), Some(CloseCode::TokenExpired));
    /// assert_eq!(CloseCode::from_code(1006), None);
    /// ```
    pub fn from_code(code: u16) -> Option<Self> {
        CloseCode::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The code's name in metrics labels.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn name(self) -> &'static str {
        match self {
            CloseCode::Normal => "normal",
            CloseCode::GoingAway => "going_away",
            CloseCode::ProtocolError => "protocol_error",
            CloseCode::InvalidData => "invalid_data",
            CloseCode::Policy => "policy",
            CloseCode::TooBig => "too_big",
            CloseCode::Internal => "internal",
            CloseCode::TokenExpired => "token_expired",
            CloseCode::SlowConsumer => "slow_consumer",
            CloseCode::OverConnectionCap => "over_connection_cap",
            CloseCode::RateLimited => "rate_limited",
            CloseCode::TryAgainLater => "try_again_later",
            CloseCode::StreamReset => "stream_reset",
        }
    }

    pub(crate) fn reason(self) -> &'static str {
        match self {
            CloseCode::Normal => "bye",
            CloseCode::GoingAway => "server shutting down",
            CloseCode::ProtocolError => "protocol error",
            CloseCode::InvalidData => "invalid UTF-8",
            CloseCode::Policy => "no answer to pings",
            CloseCode::TooBig => "message too big",
            CloseCode::Internal => "internal error",
            CloseCode::TryAgainLater => "event stream unavailable, try again later",
            CloseCode::TokenExpired => "token expired",
            CloseCode::SlowConsumer => "slow consumer",
            CloseCode::OverConnectionCap => "too many connections for this user",
            CloseCode::StreamReset => "event stream reset; resume to learn what was lost",
            CloseCode::RateLimited => "rate limited",
        }
    }
}

/// How the server authenticates, limits and paces connections. Every limit
/// has a default suited to browsers on the public internet.
///
/// ```
/// use std::time::Duration;
/// use agentwire::server::{JwtAuth, ServerConfig};
///
/// let config = ServerConfig::new(JwtAuth::hs256("secret")?)
///     .allowed_origins(["https://app.example.com"])
///     .max_inbound_message(16 * 1024)
///     .queue_capacity(512)
///     .ping_interval(Duration::from_secs(20));
/// # let _ = config;
/// # Ok::<(), agentwire::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub(crate) auth: JwtAuth,
    pub(crate) allowed_origins: Option<Vec<String>>,
    pub(crate) max_connections_per_user: usize,
    pub(crate) max_runs_per_user: usize,
    pub(crate) max_inbound_message: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) queue_bytes: usize,
    pub(crate) write_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) pong_timeout: Duration,
    pub(crate) rate_per_second: u32,
    pub(crate) rate_burst: u32,
    pub(crate) read_buffer: usize,
    pub(crate) write_buffer: usize,
    pub(crate) max_url_token_lifetime: Duration,
}

impl ServerConfig {
    /// Defaults: 10 connections and 4 runs going per user, 64 KiB inbound messages, a queue
    /// of 1,024 events or 8 MiB per connection, 10 s write timeout, pings every 30 s
    /// with 30 s to answer, 10 inbound messages per second (bursts of 20),
    /// any `Origin`.
    pub fn new(auth: JwtAuth) -> Self {
        ServerConfig {
            auth,
            allowed_origins: None,
            max_connections_per_user: 10,
            max_runs_per_user: 4,
            max_inbound_message: 64 * 1024,
            queue_capacity: 1024,
            queue_bytes: 8 << 20,
            write_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(30),
            rate_per_second: 10,
            rate_burst: 20,
            // Clients send small JSON messages; a larger one grows the
            // buffer to its size as its header is read. Every idle
            // connection holds this much.
            read_buffer: 1024,
            write_buffer: 8 * 1024,
            max_url_token_lifetime: Duration::from_secs(300),
        }
    }

    /// The longest a token sent in the URL of an SSE stream (`?token=`,
    /// for browsers' `EventSource`, which cannot set headers) may still be
    /// valid for: URLs end up in access logs and browser history, so only
    /// short-lived tokens are accepted there. 5 minutes by default; zero
    /// refuses tokens in URLs altogether.
    pub fn max_url_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_url_token_lifetime = lifetime;
        self
    }

    /// Only accept handshakes whose `Origin` is one of these (browsers
    /// always send it); requests without `Origin` (non-browser clients) are
    /// accepted. By default any origin is accepted.
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// Open connections per user; the next one is closed with
    /// [`CloseCode::OverConnectionCap`].
    pub fn max_connections_per_user(mut self, n: usize) -> Self {
        self.max_connections_per_user = n;
        self
    }

    /// Runs a user's `user_message`s may have going at once, all of the
    /// user's tabs together (default 4). Over it, a `user_message` gets an
    /// `error` frame with code `too_many_runs` and starts nothing; a run
    /// frees its place when it ends, however it ends (completed, failed,
    /// panicked, cancelled, out of budget).
    pub fn max_runs_per_user(mut self, n: usize) -> Self {
        self.max_runs_per_user = n;
        self
    }

    /// The largest inbound message in bytes; larger ones close the
    /// connection with [`CloseCode::TooBig`] (1009).
    pub fn max_inbound_message(mut self, bytes: usize) -> Self {
        self.max_inbound_message = bytes;
        self
    }

    /// Events a connection may fall behind before it is closed with
    /// [`CloseCode::SlowConsumer`].
    pub fn queue_capacity(mut self, events: usize) -> Self {
        self.queue_capacity = events;
        self
    }

    /// Bytes of events a connection may fall behind before it is closed
    /// with [`CloseCode::SlowConsumer`]; at least the hub's
    /// [`max_event_size`](crate::HubBuilder::max_event_size).
    pub fn queue_bytes(mut self, bytes: usize) -> Self {
        self.queue_bytes = bytes;
        self
    }

    /// How long one batch of writes may take. A peer that reads nothing for
    /// this long cannot be sent a close frame either, so its TCP connection
    /// is dropped (a browser reports 1006).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How long a client may take to complete the WebSocket handshake.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How often idle connections are pinged, and how often an SSE stream
    /// gets a keep-alive comment.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// How long after a ping a silent peer is dropped.
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.pong_timeout = timeout;
        self
    }

    /// Inbound messages per second per connection, and the burst allowed;
    /// beyond that the connection is closed with [`CloseCode::RateLimited`].
    pub fn rate_limit(mut self, per_second: u32, burst: u32) -> Self {
        self.rate_per_second = per_second;
        self.rate_burst = burst;
        self
    }

    fn validate(&self, max_event_size: usize) -> Result<(), Error> {
        let checks = [
            (
                self.queue_bytes < max_event_size,
                "queue_bytes must be at least the hub's max_event_size",
            ),
            (
                self.max_connections_per_user == 0,
                "max_connections_per_user must be at least 1",
            ),
            (
                self.max_runs_per_user == 0,
                "max_runs_per_user must be at least 1",
            ),
            (
                self.max_inbound_message < 64,
                "max_inbound_message must be at least 64 bytes",
            ),
            (
                self.queue_capacity == 0,
                "queue_capacity must be at least 1",
            ),
            (
                self.write_timeout.is_zero(),
                "write_timeout must be positive",
            ),
            (
                self.handshake_timeout.is_zero(),
                "handshake_timeout must be positive",
            ),
            (
                self.ping_interval.is_zero(),
                "ping_interval must be positive",
            ),
            (self.pong_timeout.is_zero(), "pong_timeout must be positive"),
            (
                self.rate_per_second == 0 || self.rate_burst == 0,
                "rate_limit values must be at least 1",
            ),
        ];
        match checks.into_iter().find(|(bad, _)| *bad) {
            Some((_, msg)) => Err(Error::config(msg)),
            None => Ok(()),
        }
    }
}

/// The largest request head (request line and headers) of a handshake;
/// larger ones get 431.
const MAX_REQUEST_HEAD: usize = 32 * 1024;

/// What every connection of one endpoint shares.
pub(crate) struct Shared {
    pub(crate) hub: Hub,
    pub(crate) config: ServerConfig,
    pub(crate) ws_config: WebSocketConfig,
    pub(crate) runs: TaskGroup,
    pub(crate) connections: TaskGroup,
    pub(crate) post_limits: sse::PostLimits,
    /// The thread of a message that names none.
    pub(crate) default_thread: crate::ThreadId,
}

impl Shared {
    async fn shutdown(&self) {
        self.runs.stop();
        let grace = self.config.write_timeout + Duration::from_secs(1);
        let _ = tokio::time::timeout(grace, self.runs.wait_idle()).await;
        self.connections.stop();
        let _ = tokio::time::timeout(grace, self.connections.wait_idle()).await;
    }
}

/// A running server. Dropping the handle leaves it running; call
/// [`shutdown`](Server::shutdown) to stop it.
pub struct Server {
    local_addr: SocketAddr,
    service: WsService,
    stop_accept: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

impl Hub {
    /// The WebSocket endpoint as a tower service, to mount in an app that
    /// already serves HTTP (axum's `Router::route_service`, or a hyper
    /// server with upgrades enabled). It serves whatever path it is mounted
    /// at; authentication, limits and close codes are those of
    /// [`serve`](Hub::serve). Rejects an invalid configuration.
    ///
    /// ```
    /// use agentwire::prelude::*;
    /// use agentwire::server::{JwtAuth, ServerConfig};
    ///
    /// let hub = Hub::builder().build()?;
    /// let ws = hub.ws_service(ServerConfig::new(JwtAuth::hs256("a long random secret")?))?;
    /// // e.g. axum: Router::new().route("/api/health", get(health)).route_service("/ws", ws)
    /// # let _ = ws;
    /// # Ok::<(), agentwire::Error>(())
    /// ```
    pub fn ws_service(&self, config: ServerConfig) -> Result<WsService, Error> {
        let max_event_size = self.inner.config.log.max_event_size;
        config.validate(max_event_size)?;
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(config.read_buffer)
            .write_buffer_size(config.write_buffer)
            // Room for one whole event (and its frame header) beyond what
            // is buffered before a flush: every event the hub lets through
            // can be written.
            .max_write_buffer_size(config.write_buffer + max_event_size + 16)
            .max_message_size(Some(config.max_inbound_message))
            .max_frame_size(Some(config.max_inbound_message));
        Ok(WsService {
            shared: Arc::new(Shared {
                hub: self.clone(),
                config,
                ws_config,
                runs: TaskGroup::default(),
                connections: TaskGroup::default(),
                post_limits: sse::PostLimits::default(),
                default_thread: crate::ThreadId::new(runs::DEFAULT_THREAD)?,
            }),
        })
    }

    /// The Server-Sent Events endpoint as a tower service: `GET` streams the
    /// user's events, `POST` with a `user_message` starts a run. It serves
    /// whatever path it is mounted at. To serve it beside a WebSocket
    /// endpoint with shared runs, counters and shutdown, take it from
    /// [`WsService::sse_service`] instead. Rejects an invalid configuration.
    ///
    /// ```
    /// use agentwire::prelude::*;
    /// use agentwire::server::{JwtAuth, ServerConfig};
    ///
    /// let hub = Hub::builder().build()?;
    /// let sse = hub.sse_service(ServerConfig::new(JwtAuth::hs256("a long random secret")?))?;
    /// // e.g. axum: Router::new().route_service("/events", sse)
    /// # let _ = sse;
    /// # Ok::<(), agentwire::Error>(())
    /// ```
    pub fn sse_service(&self, config: ServerConfig) -> Result<SseService, Error> {
        Ok(self.ws_service(config)?.sse_service())
    }

    /// Serves `GET /ws` (WebSocket) and `GET`/`POST /events` (Server-Sent
    /// Events) on `listener` until [`Server::shutdown`]. Must be
    /// called inside a tokio runtime. Rejects an invalid configuration.
    pub async fn serve(
        &self,
        listener: TcpListener,
        config: ServerConfig,
    ) -> Result<Server, Error> {
        let service = self.ws_service(config)?;
        let local_addr = listener.local_addr()?;
        let (stop_accept, mut stopped) = watch::channel(false);
        let accept = tokio::spawn({
            let service = service.clone();
            async move {
                loop {
                    tokio::select! {
                        _ = tasks::stopped(&mut stopped) => break,
                        accepted = listener.accept() => match accepted {
                            Ok((stream, _)) => {
                                tokio::spawn(serve_http(stream, service.clone()));
                            }
                            // Out of file descriptors and the like: back off
                            // instead of spinning.
                            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                        },
                    }
                }
            }
        });
        Ok(Server {
            local_addr,
            service,
            stop_accept,
            accept,
        })
    }
}

/// One TCP connection: HTTP/1.1 up to the handshake (slow or oversized
/// request heads get their HTTP error), then the WebSocket.
async fn serve_http(stream: TcpStream, service: WsService) {
    let _ = stream.set_nodelay(true);
    let handshake_timeout = service.shared.config.handshake_timeout;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(handshake_timeout)
        .max_buf_size(MAX_REQUEST_HEAD);
    let at_path = service::AtPath { service };
    let connection = http
        .serve_connection(TokioIo::new(stream), at_path)
        .with_upgrades();
    let _ = connection.await;
}

impl Server {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Open WebSocket and SSE connections, all users together.
    pub fn connection_count(&self) -> usize {
        self.service.connection_count()
    }

    /// Runs started by `user_message`s that have not ended yet.
    pub fn active_runs(&self) -> usize {
        self.service.active_runs()
    }

    /// Stops gracefully: no new connections; the runs started by clients
    /// are cancelled, each ending with its terminal events; the events
    /// already queued are written; then every connection is closed with
    /// 1001 (going away; SSE streams end with `event: close` carrying 1001).
    pub async fn shutdown(self) {
        let _ = self.stop_accept.send(true);
        let _ = self.accept.await;
        self.service.shutdown().await;
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("connections", &self.connection_count())
            .field("runs", &self.active_runs())
            .finish()
    }
}
