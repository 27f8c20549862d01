//! One WebSocket connection: handshake and authentication, then a reader
//! (this task) and a single writer task that owns the socket's write half.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{header, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use super::protocol::{self, ClientError, Inbound};
use super::tasks::{stopped, TaskGuard};
use super::{CloseCode, Shared};
use crate::log::{Frame, Queue, Resume, UserLog};
use crate::{ConnectionId, ThreadId, UserExecutionContext, UserId, UserMessage};

const SUBPROTOCOL: &str = "agentwire.v1";
const BEARER_PREFIX: &str = "bearer.";
/// Frames written per flush.
const BATCH: usize = 64;
/// Server-originated frames (pongs, errors, pings) waiting for the writer.
const CONTROL_CAPACITY: usize = 32;
/// How long to wait for the peer's close reply after sending ours.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

type Sink = SplitSink<WebSocketStream<TcpStream>, Message>;
type Source = SplitStream<WebSocketStream<TcpStream>>;

struct Accepted {
    user: UserId,
    since: Option<u64>,
}

// The handshake callback's error type is set by tungstenite.
#[allow(clippy::result_large_err)]
pub(crate) async fn serve(shared: Arc<Shared>, stream: TcpStream, _guard: TaskGuard) {
    let _ = stream.set_nodelay(true);
    let cfg = &shared.config;
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(cfg.read_buffer)
        .write_buffer_size(cfg.write_buffer)
        .max_write_buffer_size(cfg.write_buffer + cfg.max_inbound_message.max(64 * 1024) * 4)
        .max_message_size(Some(cfg.max_inbound_message))
        .max_frame_size(Some(cfg.max_inbound_message));
    let mut accepted = None;
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        |req: &Request, resp: Response| match authorize(&shared, req, resp) {
            Ok((resp, a)) => {
                accepted = Some(a);
                Ok(resp)
            }
            Err(e) => Err(*e),
        },
        Some(ws_config),
    );
    let ws = match tokio::time::timeout(cfg.handshake_timeout, handshake).await {
        Ok(Ok(ws)) => ws,
        _ => return,
    };
    let Some(Accepted { user, since }) = accepted else {
        return;
    };
    let log = shared.hub.inner.user_log(&user);
    let _slot = ConnectionSlot::take(&log);
    if log.connections.load(Ordering::Acquire) > cfg.max_connections_per_user {
        return close_now(ws, CloseCode::OverConnectionCap).await;
    }
    let attached = log.attach(
        since.map(|since| Resume { since, epoch: None }),
        crate::log::QueueLimit {
            events: cfg.queue_capacity,
            bytes: usize::MAX,
        },
    );
    let connection = ConnectionId::fresh();
    let hello = protocol::connection_established(connection.as_str(), user.as_str());
    let (sink, source) = ws.split();
    let (control_tx, control_rx) = mpsc::channel(CONTROL_CAPACITY);
    let writer = tokio::spawn(write_loop(
        sink,
        Outbound {
            hello,
            replay: attached.replay,
            events: attached.queue,
            control: control_rx,
            stop: shared.stop_connections.subscribe(),
            write_timeout: cfg.write_timeout,
        },
    ));
    read_loop(&shared, &log, source, control_tx, writer).await;
}

/// Counts a live connection of a user for as long as it is held.
struct ConnectionSlot(Arc<UserLog>);

impl ConnectionSlot {
    fn take(log: &Arc<UserLog>) -> Self {
        log.connections.fetch_add(1, Ordering::AcqRel);
        ConnectionSlot(log.clone())
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

fn reject(status: StatusCode, message: &str) -> Box<ErrorResponse> {
    let mut resp = ErrorResponse::new(Some(message.to_owned()));
    *resp.status_mut() = status;
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    Box::new(resp)
}

/// Checks path, origin and token; selects `agentwire.v1` when offered and
/// never echoes the token.
fn authorize(
    shared: &Shared,
    req: &Request,
    mut resp: Response,
) -> Result<(Response, Accepted), Box<ErrorResponse>> {
    if req.uri().path() != "/ws" {
        return Err(reject(StatusCode::NOT_FOUND, "the endpoint is /ws"));
    }
    if let (Some(allowed), Some(origin)) = (
        &shared.config.allowed_origins,
        req.headers().get(header::ORIGIN),
    ) {
        let origin = origin.to_str().unwrap_or("");
        if !allowed.iter().any(|a| a == origin) {
            return Err(reject(StatusCode::FORBIDDEN, "origin not allowed"));
        }
    }
    let offered: Vec<&str> = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let from_protocol = offered.iter().find_map(|p| p.strip_prefix(BEARER_PREFIX));
    let token = from_header.or(from_protocol).ok_or_else(|| {
        reject(
            StatusCode::UNAUTHORIZED,
            &super::AuthError::Missing.to_string(),
        )
    })?;
    let user = shared
        .config
        .auth
        .verify(token)
        .map_err(|e| reject(StatusCode::UNAUTHORIZED, &e.to_string()))?;
    if offered.contains(&SUBPROTOCOL) {
        resp.headers_mut().insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    } else if !offered.is_empty() {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            "offer the subprotocol `agentwire.v1` (with `bearer.<jwt>` from a browser)",
        ));
    }
    let since = match req.uri().query() {
        None => None,
        Some(query) => match query.split('&').find_map(|kv| kv.strip_prefix("since=")) {
            None => None,
            Some(n) => Some(n.parse::<u64>().map_err(|_| {
                reject(
                    StatusCode::BAD_REQUEST,
                    "`since` must be a non-negative integer",
                )
            })?),
        },
    };
    Ok((resp, Accepted { user, since }))
}

async fn close_now(mut ws: WebSocketStream<TcpStream>, code: CloseCode) {
    let _ = tokio::time::timeout(CLOSE_LINGER, ws.close(Some(close_frame(code)))).await;
}

fn close_frame(code: CloseCode) -> CloseFrame {
    CloseFrame {
        code: WsCode::from(code.code()),
        reason: code.reason().into(),
    }
}

enum Control {
    Text(String),
    Ping,
    Close(CloseCode),
}

struct Outbound {
    hello: String,
    replay: VecDeque<Frame>,
    events: Queue,
    control: mpsc::Receiver<Control>,
    stop: watch::Receiver<bool>,
    write_timeout: Duration,
}

/// The connection's only writer: feeds a batch, flushes once, under a
/// write timeout; closes with the code that ended it.
async fn write_loop(mut sink: Sink, out: Outbound) {
    let Outbound {
        hello,
        mut replay,
        mut events,
        mut control,
        mut stop,
        write_timeout,
    } = out;
    let first = std::iter::once(Message::text(hello))
        .chain(replay.drain(..).map(|f| Message::Text(f.text)));
    if !write_batch(&mut sink, first, write_timeout).await {
        return;
    }
    drop(replay);
    // Grows with the first events: an idle connection holds no batch.
    let mut batch: Vec<Frame> = Vec::new();
    // Waits for shutdown across iterations: registered once, not per batch.
    let stopping = stopped(&mut stop);
    tokio::pin!(stopping);
    let code = loop {
        tokio::select! {
            biased;
            _ = &mut stopping => {
                // Write what is already queued, then say goodbye.
                while let Some(frame) = events.try_recv() {
                    batch.push(frame);
                }
                if events.overflowed() {
                    break CloseCode::SlowConsumer;
                }
                let frames = batch.drain(..).map(|f| Message::Text(f.text));
                if !write_batch(&mut sink, frames, write_timeout).await {
                    return;
                }
                break CloseCode::GoingAway;
            }
            control = control.recv() => match control {
                Some(Control::Text(text)) => {
                    if !write_batch(&mut sink, [Message::text(text)], write_timeout).await {
                        return;
                    }
                }
                Some(Control::Ping) => {
                    if !write_batch(&mut sink, [Message::Ping(Default::default())], write_timeout).await {
                        return;
                    }
                }
                Some(Control::Close(code)) => break code,
                // The reader is gone: the connection is over.
                None => return,
            },
            n = events.recv_many(&mut batch, BATCH) => {
                // The log drops a queue that overflowed (and only such a
                // queue): what is left in it is not sent. The queue is
                // full then, so this branch is never left waiting.
                if n == 0 || events.overflowed() {
                    break if events.overflowed() { CloseCode::SlowConsumer } else { CloseCode::Internal };
                }
                let frames = batch.drain(..).map(|f| Message::Text(f.text));
                if !write_batch(&mut sink, frames, write_timeout).await {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(
        write_timeout,
        sink.send(Message::Close(Some(close_frame(code)))),
    )
    .await;
}

/// Feeds every message and flushes once; false if the peer is gone or too
/// slow. The timeout's timer is only set when the socket cannot take the
/// batch at once.
async fn write_batch(
    sink: &mut Sink,
    messages: impl IntoIterator<Item = Message>,
    timeout: Duration,
) -> bool {
    let write = async {
        for message in messages {
            sink.feed(message).await?;
        }
        sink.flush().await
    };
    let mut write = std::pin::pin!(write);
    match futures_util::FutureExt::now_or_never(write.as_mut()) {
        Some(result) => result.is_ok(),
        None => matches!(tokio::time::timeout(timeout, write).await, Ok(Ok(()))),
    }
}

/// Inbound messages allowed per connection: a token bucket.
struct RateLimit {
    tokens: f64,
    per_second: f64,
    burst: f64,
    last: Instant,
}

impl RateLimit {
    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

async fn read_loop(
    shared: &Arc<Shared>,
    log: &Arc<UserLog>,
    mut source: Source,
    control: mpsc::Sender<Control>,
    mut writer: tokio::task::JoinHandle<()>,
) {
    let cfg = &shared.config;
    let mut limit = RateLimit {
        tokens: f64::from(cfg.rate_burst),
        per_second: f64::from(cfg.rate_per_second),
        burst: f64::from(cfg.rate_burst),
        last: Instant::now(),
    };
    let mut pings = tokio::time::interval(cfg.ping_interval);
    pings.tick().await;
    let mut last_heard = Instant::now();
    let close = |code| {
        // If even the control queue is full the writer is stuck; dropping
        // the connection is all that is left.
        let _ = control.try_send(Control::Close(code));
    };
    loop {
        tokio::select! {
            _ = &mut writer => return,
            _ = pings.tick() => {
                if last_heard.elapsed() > cfg.ping_interval + cfg.pong_timeout {
                    close(CloseCode::Policy);
                    break;
                }
                let _ = control.try_send(Control::Ping);
            }
            message = source.next() => {
                last_heard = Instant::now();
                let message = match message {
                    Some(Ok(message)) => message,
                    Some(Err(tungstenite::Error::Capacity(_))) => {
                        close(CloseCode::TooBig);
                        break;
                    }
                    Some(Err(tungstenite::Error::Protocol(_))) => {
                        close(CloseCode::Policy);
                        break;
                    }
                    Some(Err(_)) | None => break,
                };
                let text = match message {
                    Message::Text(text) => text,
                    Message::Binary(_) => {
                        if !limit.allow() {
                            close(CloseCode::RateLimited);
                            break;
                        }
                        let err = ClientError::new("unsupported", "send JSON in text frames");
                        let _ = control.try_send(Control::Text(err.to_frame()));
                        continue;
                    }
                    Message::Close(_) => {
                        close(CloseCode::Normal);
                        break;
                    }
                    _ => continue,
                };
                if !limit.allow() {
                    close(CloseCode::RateLimited);
                    break;
                }
                let reply = match protocol::parse(text.as_str()) {
                    Ok(Inbound::Ping) => Some(protocol::PONG.to_owned()),
                    Ok(Inbound::UserMessage(message)) => {
                        start_run(shared, log.user(), message).await.err().map(|e| e.to_frame())
                    }
                    Err(e) => Some(e.to_frame()),
                };
                if let Some(reply) = reply {
                    let _ = control.try_send(Control::Text(reply));
                }
            }
        }
    }
    drop(control);
    // Let the writer send the close frame, and the peer answer it, before
    // the socket goes away.
    let linger = async {
        let _ = (&mut writer).await;
        while let Some(Ok(message)) = source.next().await {
            if message.is_close() {
                break;
            }
        }
    };
    if tokio::time::timeout(cfg.write_timeout + CLOSE_LINGER, linger)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Starts a run of the requested agent for this user, tracked for shutdown.
async fn start_run(
    shared: &Arc<Shared>,
    user: &UserId,
    message: UserMessage,
) -> Result<(), ClientError> {
    let hub = &shared.hub.inner;
    let agent = match hub.agent(message.agent.as_deref()) {
        Some(agent) => agent.clone(),
        None if hub.agents.is_empty() => {
            return Err(ClientError::new("no_agent", "this server has no agents"))
        }
        None => {
            let names: Vec<&str> = hub.agents.iter().map(|a| a.name()).collect();
            return Err(ClientError::new(
                "unknown_agent",
                format!("no agent named that; agents: {}", names.join(", ")),
            ));
        }
    };
    let mut stop = shared.stop_runs.subscribe();
    if *stop.borrow() {
        return Err(ClientError::new(
            "shutting_down",
            "the server is shutting down",
        ));
    }
    let thread = match &message.thread_id {
        Some(thread) => thread.clone(),
        None => {
            ThreadId::new("default").map_err(|e| ClientError::new("internal", e.to_string()))?
        }
    };
    let ctx = UserExecutionContext::new(user.clone(), thread);
    let manager = shared
        .hub
        .factory()
        .create_manager(&ctx)
        .await
        .map_err(|e| ClientError::new("shutting_down", e.to_string()))?;
    let bridge = manager.bridge();
    let guard = shared.runs.enter();
    tokio::spawn(async move {
        let _guard = guard;
        tokio::select! {
            _ = agent.handle(bridge, message) => {}
            // Dropping the handler's future cancels the run, which then
            // emits its own terminal events.
            _ = stopped(&mut stop) => {}
        }
    });
    Ok(())
}
