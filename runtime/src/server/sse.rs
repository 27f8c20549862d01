//! The Server-Sent Events transport: `GET` streams the authenticated
//! user's events as `text/event-stream`, `POST` with a `user_message`
//! starts a run. Authentication, the per-user connection cap, the resume
//! protocol, the queue and shutdown are the WebSocket endpoint's own
//! (`handshake`, `conn::take_slot`, `conn::open`, `runs::start`).
//!
//! | answer | when |
//! |---|---|
//! | 200 `text/event-stream` | `GET`: the stream |
//! | 202 `{"type":"accepted"}` | `POST`: the run started |
//! | 200 `{"type":"pong"}` | `POST` of `{"type":"ping"}` |
//! | 400, 415, 429, 500, 503 `{"type":"error",..}` | `POST`: an [`ErrorCode`], see [`http_status`] |
//! | 400 | a malformed `Last-Event-ID`, `since`/`epoch`, or two tokens |
//! | 401 | no token, a token that is not valid now, a `?token=` that lives too long or on a `POST` |
//! | 403 | an `Origin` outside the allow-list |
//! | 405 | not `GET` or `POST` |
//! | 408 | a `POST` body slower than the handshake timeout |
//! | 413 | a `POST` body over the inbound limit |
//! | 429 | `GET`: the user already has the maximum connections open |
//! | 503 | shutting down |

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::{BufMut, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

use super::auth::AuthError;
use super::conn::{self, ConnectionSlot, Opened};
use super::handshake::{self, Accepted, Rejection, ResumeQuery};
use super::protocol::{self, ClientError, ErrorCode, Inbound};
use super::reader::RateLimit;
use super::tasks::stopped;
use super::{credentials, runs, CloseCode, Shared};
use crate::log::{Frame as LogFrame, Queue};
use crate::UserId;

/// Events written per chunk.
const BATCH: usize = 64;
/// Chunks waiting for the HTTP layer: the queue is the log's, not this.
const CHUNKS: usize = 2;
/// Per-user `POST` rate buckets kept before full (idle) ones are forgotten.
const MAX_BUCKETS: usize = 4096;

/// The Server-Sent Events endpoint as a [`tower_service::Service`]: `GET`
/// opens the user's event stream, `POST` with a `user_message` starts a
/// run. It serves whatever path it is mounted at.
///
/// Obtained from [`Hub::sse_service`](crate::Hub::sse_service), or from
/// [`WsService::sse_service`](super::WsService::sse_service) to share a
/// WebSocket endpoint's runs, counters and [`shutdown`](SseService::shutdown).
#[derive(Clone)]
pub struct SseService {
    pub(crate) shared: Arc<Shared>,
}

/// The body of every answer of [`SseService`] (and of `hub.serve`): a whole
/// body, or an event stream that ends when the stream does.
pub struct SseBody {
    inner: Inner,
}

enum Inner {
    Whole(Full<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl SseBody {
    pub(crate) fn full(body: Full<Bytes>) -> Self {
        SseBody {
            inner: Inner::Whole(body),
        }
    }

    pub(crate) fn bytes(bytes: impl Into<Bytes>) -> Self {
        SseBody::full(Full::new(bytes.into()))
    }

    pub(crate) fn stream(rx: mpsc::Receiver<Bytes>) -> Self {
        SseBody {
            inner: Inner::Stream(rx),
        }
    }
}

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match &mut self.inner {
            Inner::Whole(body) => Pin::new(body).poll_frame(cx),
            Inner::Stream(rx) => rx
                .poll_recv(cx)
                .map(|chunk| chunk.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Whole(body) => body.is_end_stream(),
            Inner::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Whole(body) => body.size_hint(),
            Inner::Stream(_) => SizeHint::default(),
        }
    }
}

impl fmt::Debug for SseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.inner {
            Inner::Whole(_) => "SseBody::Whole",
            Inner::Stream(_) => "SseBody::Stream",
        })
    }
}

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl SseService {
    /// Answers one request.
    pub(crate) async fn respond<B>(&self, req: Request<B>) -> Response<SseBody>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if self.shared.runs.is_stopping() {
            return reject(Rejection::unavailable());
        }
        match *req.method() {
            Method::GET => match self.open(req.into_parts().0).await {
                Ok(resp) => resp,
                Err(rejection) => refused(rejection),
            },
            Method::POST => self.post(req).await,
            _ => reject(Rejection::method_not_allowed(
                "GET, POST",
                "the event stream answers GET (the stream) and POST (a `user_message`)",
            )),
        }
    }

    /// `GET`: checks the request and starts the stream on its own task.
    async fn open(&self, req: http::request::Parts) -> Result<Response<SseBody>, Rejection> {
        let shared = &self.shared;
        let cfg = &shared.config;
        let headers = &req.headers;
        handshake::check_origin(cfg, headers)?;
        let query = req.uri.query();
        let (token, in_url) = stream_token(headers, query)?;
        let resume = resume_of(headers, query)?;
        let identity = cfg.auth.authenticate(token)?;
        if in_url {
            check_url_token_lifetime(cfg, identity.expires_at)?;
        }
        let accepted = Accepted {
            user: identity.user,
            expires_at: identity.expires_at,
            resume,
        };
        let slot = conn::take_slot(shared, &accepted.user).map_err(|_over| over_cap(cfg))?;
        let opened = conn::open(shared, &slot, &accepted)
            .await
            .map_err(|_| Rejection::stream_unavailable())?;
        let position = match (&accepted.resume, opened.attached.recovery) {
            (Some(resume), Some(r)) if r.recovered => resume.since,
            _ => opened.attached.seq,
        };
        let (tx, rx) = mpsc::channel(CHUNKS);
        let guard = shared.connections.enter();
        let shared = shared.clone();
        tokio::spawn(async move {
            let _guard = guard;
            write_stream(&shared, slot, opened, position, &accepted, tx).await;
        });
        let mut resp = Response::new(SseBody::stream(rx));
        let out = resp.headers_mut();
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // Reverse proxies that buffer responses would hold events back.
        out.insert("x-accel-buffering", HeaderValue::from_static("no"));
        Ok(resp)
    }

    /// `POST`: a `user_message`, `cancel_run` (or `ping`) in the body, as a
    /// WebSocket client would send it.
    async fn post<B>(&self, req: Request<B>) -> Response<SseBody>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let user = match authenticate_post(&self.shared, req.headers()) {
            Ok(user) => user,
            Err(rejection) => return refused(rejection),
        };
        let text = match read_body(&self.shared, req.into_body()).await {
            Ok(text) => text,
            Err(rejection) => return refused(rejection),
        };
        if !self.shared.post_limits.allow(&user, &self.shared.config) {
            return client_error(&rate_limited(&self.shared.config));
        }
        let parsed = std::str::from_utf8(&text)
            .map_err(|_| ClientError::new(ErrorCode::InvalidJson, "the body is not UTF-8"))
            .and_then(protocol::parse);
        match parsed {
            Ok(Inbound::Ping) => json(StatusCode::OK, protocol::PONG.to_owned()),
            Ok(Inbound::UserMessage(message)) => {
                match runs::start(&self.shared, &user, message).await {
                    Ok(()) => json(StatusCode::ACCEPTED, ACCEPTED.to_owned()),
                    Err(e) => client_error(&e),
                }
            }
            Ok(Inbound::CancelRun(id)) => match runs::cancel(&self.shared, &user, &id).await {
                Ok(()) => json(StatusCode::ACCEPTED, ACCEPTED.to_owned()),
                Err(e) => client_error(&e),
            },
            Err(e) => client_error(&e),
        }
    }

    /// Stops gracefully: new requests get 503; the runs started by clients
    /// are cancelled, each ending with its terminal events; the events
    /// already queued are written; then every stream ends with
    /// `event: close` (1001). Shared with the WebSocket endpoint it came
    /// from, if any.
    pub async fn shutdown(&self) {
        self.shared.shutdown().await;
    }

    /// Open connections of this endpoint (WebSocket and SSE), all users
    /// together.
    pub fn connection_count(&self) -> usize {
        self.shared.connections.active()
    }

    /// Runs started by clients of this endpoint that have not ended.
    pub fn active_runs(&self) -> usize {
        self.shared.runs.active()
    }
}

/// A user's connection over the per-user cap: 429.
pub(crate) fn over_cap(cfg: &super::ServerConfig) -> Rejection {
    Rejection::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!(
            "too many connections for this user: at most {} WebSocket, SSE and AG-UI \
             connections together (4009 on a WebSocket)",
            cfg.max_connections_per_user
        ),
    )
}

/// A `POST` beyond the user's rate limit.
pub(crate) fn rate_limited(cfg: &super::ServerConfig) -> ClientError {
    ClientError::new(
        ErrorCode::RateLimited,
        format!(
            "more than {} messages per second (bursts of {}) for this user; retry shortly",
            cfg.rate_per_second, cfg.rate_burst
        ),
    )
}

const ACCEPTED: &str = "{\"type\":\"accepted\"}";

/// The HTTP status of an [`ErrorCode`] answered to a `POST`.
///
/// | code | status |
/// |---|---|
/// | `invalid_json`, `invalid_payload`, `unknown_type`, `unknown_agent` | 400 |
/// | `unknown_run` | 404 |
/// | `unsupported` | 415 |
/// | `rate_limited`, `too_many_runs` | 429 |
/// | `internal` | 500 |
/// | `no_agent`, `shutting_down` | 503 |
pub(crate) fn http_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidJson
        | ErrorCode::InvalidPayload
        | ErrorCode::UnknownType
        | ErrorCode::UnknownAgent => StatusCode::BAD_REQUEST,
        ErrorCode::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnknownRun => StatusCode::NOT_FOUND,
        ErrorCode::RateLimited | ErrorCode::TooManyRuns => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::NoAgent | ErrorCode::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
    }
}

pub(crate) fn client_error(e: &ClientError) -> Response<SseBody> {
    let mut resp = json(http_status(e.code), e.to_frame());
    if e.code == ErrorCode::RateLimited {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

pub(crate) fn json(status: StatusCode, body: String) -> Response<SseBody> {
    let mut resp = Response::new(SseBody::bytes(body));
    *resp.status_mut() = status;
    let out = resp.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub(crate) fn reject(rejection: Rejection) -> Response<SseBody> {
    rejection.into_response().map(SseBody::full)
}

/// A refusal, logged as the handshake's are.
pub(crate) fn refused(rejection: Rejection) -> Response<SseBody> {
    tracing::info!(
        target: "agentwire::server",
        status = rejection.status().as_u16(),
        reason = rejection.message(),
        "request refused"
    );
    reject(rejection)
}

/// The user of a `POST`: `Authorization: Bearer` only (a token in the URL
/// is for `EventSource`, which cannot set headers, and only for the stream).
pub(crate) fn authenticate_post(shared: &Shared, headers: &HeaderMap) -> Result<UserId, Rejection> {
    handshake::check_origin(&shared.config, headers)?;
    let credentials = credentials::credentials(headers)?;
    if credentials.source != credentials::TokenSource::Header {
        return Err(AuthError::Missing.into());
    }
    Ok(shared.config.auth.authenticate(credentials.token)?.user)
}

/// The body of a `POST`, at most the inbound limit, within the handshake
/// timeout.
pub(crate) async fn read_body<B>(shared: &Shared, body: B) -> Result<Bytes, Rejection>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let cfg = &shared.config;
    let limit = cfg.max_inbound_message;
    let read = Limited::new(body, limit).collect();
    match tokio::time::timeout(cfg.handshake_timeout, read).await {
        Err(_) => Err(Rejection::new(
            StatusCode::REQUEST_TIMEOUT,
            "the request body took too long",
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is over the inbound limit of {limit} bytes"),
        )),
        Ok(Err(_)) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "the request body could not be read",
        )),
    }
}

/// The stream's token: `Authorization: Bearer`, or `?token=` for browsers'
/// `EventSource`; one of the two. Returns whether it came in the URL.
fn stream_token<'a>(
    headers: &'a HeaderMap,
    query: Option<&'a str>,
) -> Result<(&'a str, bool), Rejection> {
    let mut in_url = None;
    for pair in query.unwrap_or("").split('&') {
        if let Some(value) = pair.strip_prefix("token=") {
            if in_url.replace(value).is_some() {
                return Err(AuthError::Ambiguous.into());
            }
        }
    }
    match (credentials::credentials(headers), in_url) {
        (Ok(_), Some(_)) => Err(AuthError::Ambiguous.into()),
        (Ok(c), None) if c.source == credentials::TokenSource::Header => Ok((c.token, false)),
        // A subprotocol means nothing outside a WebSocket handshake.
        (Ok(_), None) => Err(Rejection::new(StatusCode::UNAUTHORIZED, NO_STREAM_TOKEN)),
        (Err(AuthError::Missing), Some(token)) => {
            if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(AuthError::Malformed.into());
            }
            Ok((token, true))
        }
        (Err(AuthError::Missing), None) => {
            Err(Rejection::new(StatusCode::UNAUTHORIZED, NO_STREAM_TOKEN))
        }
        (Err(e), _) => Err(e.into()),
    }
}

const NO_STREAM_TOKEN: &str = "no token: send `Authorization: Bearer <jwt>`, or from a browser's \
     EventSource `?token=<jwt>` with a short-lived token";

/// A token in a URL ends up in access logs and browser history: it is only
/// accepted while it lives no longer than the configured maximum.
fn check_url_token_lifetime(
    cfg: &super::ServerConfig,
    expires_at: SystemTime,
) -> Result<(), Rejection> {
    let left = expires_at
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let max = cfg.max_url_token_lifetime;
    if max.is_zero() {
        return Err(Rejection::new(
            StatusCode::UNAUTHORIZED,
            "this server takes no token in the URL: send `Authorization: Bearer <jwt>`",
        ));
    }
    if left > max + cfg.auth.clock_leeway() {
        return Err(Rejection::new(
            StatusCode::UNAUTHORIZED,
            format!(
                "a token in the URL must expire within {} s: mint a short-lived token for the \
                 stream, or send `Authorization: Bearer <jwt>`",
                max.as_secs()
            ),
        ));
    }
    Ok(())
}

/// Where the stream resumes: `Last-Event-ID` (`<epoch>.<seq>`, sent by a
/// browser's own reconnect), else `?since=<seq>&epoch=<epoch>` as for a
/// WebSocket. A browser reconnects with the URL it was opened with, so the
/// header, which is newer, wins.
fn resume_of(headers: &HeaderMap, query: Option<&str>) -> Result<Option<ResumeQuery>, Rejection> {
    let from_query = handshake::parse_query(query)?;
    let mut ids = headers.get_all("last-event-id").iter();
    let (Some(id), None) = (ids.next(), ids.next()) else {
        return match headers.get_all("last-event-id").iter().count() {
            0 => Ok(from_query),
            _ => Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "`Last-Event-ID` is given more than once",
            )),
        };
    };
    let id = id.to_str().unwrap_or("\u{0}").trim();
    if id.is_empty() {
        return Ok(from_query);
    }
    parse_event_id(id).map(Some).ok_or_else(|| {
        Rejection::new(
            StatusCode::BAD_REQUEST,
            "`Last-Event-ID` must be the `id` of an event of this stream: `<epoch>.<seq>`",
        )
    })
}

/// `<epoch>.<seq>`, as written in each event's `id:`.
fn parse_event_id(id: &str) -> Option<ResumeQuery> {
    let (epoch, seq) = id.rsplit_once('.')?;
    if !handshake::is_epoch(epoch) || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(ResumeQuery {
        since: seq.parse().ok()?,
        epoch: Some(epoch.to_owned()),
    })
}

/// Per-user token buckets for `POST`s, with the WebSocket's rate limit.
#[derive(Default)]
pub(crate) struct PostLimits {
    buckets: Mutex<HashMap<UserId, RateLimit>>,
}

impl PostLimits {
    pub(crate) fn allow(&self, user: &UserId, cfg: &super::ServerConfig) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(user) {
            // A full bucket is what a new one would be: forgetting it
            // changes nothing for its user.
            buckets.retain(|_, bucket| !bucket.is_full());
        }
        buckets
            .entry(user.clone())
            .or_insert_with(|| RateLimit::new(cfg.rate_per_second, cfg.rate_burst))
            .allow()
    }
}

/// Why a stream's writer stopped.
pub(crate) enum StreamEnd {
    /// Say why in a last `event: close`.
    Close(CloseCode),
    /// The peer stopped reading for longer than the write timeout, or went
    /// away: nothing more can reach it.
    Gone,
}

/// The chunks of a stream on their way to the HTTP layer.
pub(crate) struct Chunks {
    tx: mpsc::Sender<Bytes>,
    write_timeout: Duration,
}

impl Chunks {
    pub(crate) fn new(tx: mpsc::Sender<Bytes>, write_timeout: Duration) -> Self {
        Chunks { tx, write_timeout }
    }

    /// Hands a chunk over; a peer that has not taken the previous ones
    /// within the write timeout is gone.
    pub(crate) async fn send(&self, chunk: Bytes) -> Result<(), StreamEnd> {
        match tokio::time::timeout(self.write_timeout, self.tx.send(chunk)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(StreamEnd::Gone),
        }
    }

    /// Resolves when the HTTP layer dropped the body: the peer went away.
    pub(crate) async fn closed(&self) {
        self.tx.closed().await
    }

    /// Says why the stream ends, when that can still reach the peer.
    pub(crate) async fn finish(&self, end: StreamEnd) {
        if let StreamEnd::Close(code) = end {
            let _ = self.send(close_event(code)).await;
        }
    }
}

/// `event: close` with the WebSocket close code and reason.
fn close_event(code: CloseCode) -> Bytes {
    Bytes::from(format!(
        "event: close\ndata: {{\"code\":{},\"reason\":\"{}\"}}\n\n",
        code.code(),
        code.reason()
    ))
}

pub(crate) const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// Appends one SSE message: `id:` (if any), then `data:` lines. Envelopes
/// are compact JSON, one line; a line break is split over `data:` lines
/// anyway, as SSE joins them back with `\n`.
pub(crate) fn push_message(out: &mut BytesMut, id: Option<(&str, u64)>, data: &str) {
    if let Some((epoch, seq)) = id {
        out.put_slice(b"id: ");
        out.put_slice(epoch.as_bytes());
        out.put_u8(b'.');
        out.put_slice(seq.to_string().as_bytes());
        out.put_u8(b'\n');
    }
    for line in data.split(['\n', '\r']) {
        out.put_slice(b"data: ");
        out.put_slice(line.as_bytes());
        out.put_u8(b'\n');
    }
    out.put_u8(b'\n');
}

/// Writes a user's stream until it ends, then says why.
async fn write_stream(
    shared: &Shared,
    slot: ConnectionSlot,
    opened: Opened,
    position: u64,
    accepted: &Accepted,
    tx: mpsc::Sender<Bytes>,
) {
    let chunks = Chunks::new(tx, shared.config.write_timeout);
    let end = pump(shared, &chunks, opened, position, accepted.expires_at).await;
    match &end {
        StreamEnd::Close(CloseCode::SlowConsumer) => tracing::warn!(
            target: "agentwire::server",
            user_id = %accepted.user,
            "an SSE stream fell more than its queue behind and ends with 4008"
        ),
        StreamEnd::Close(code) => tracing::debug!(
            target: "agentwire::server",
            user_id = %accepted.user,
            code = code.code(),
            "SSE stream ended"
        ),
        StreamEnd::Gone => tracing::debug!(
            target: "agentwire::server",
            user_id = %accepted.user,
            "SSE peer gone"
        ),
    }
    chunks.finish(end).await;
    drop(slot);
}

async fn pump(
    shared: &Shared,
    chunks: &Chunks,
    opened: Opened,
    position: u64,
    expires_at: SystemTime,
) -> StreamEnd {
    let Opened {
        attached, hello, ..
    } = opened;
    let epoch = attached.epoch.clone();
    let mut events: Queue = attached.queue;
    let mut first = BytesMut::new();
    push_message(&mut first, Some((&epoch, position)), &hello);
    for frame in &attached.replay {
        push_message(&mut first, Some((&epoch, frame.seq)), frame.text.as_str());
    }
    drop(attached.replay);
    if let Err(end) = chunks.send(first.freeze()).await {
        return end;
    }
    let mut stop = shared.connections.stop_signal();
    let stopping = stopped(&mut stop);
    tokio::pin!(stopping);
    let expiry = tokio::time::sleep_until(super::reader::instant_of(expires_at));
    tokio::pin!(expiry);
    let mut keep_alive = tokio::time::interval(shared.config.ping_interval);
    keep_alive.tick().await;
    let mut batch: VecDeque<LogFrame> = VecDeque::new();
    loop {
        tokio::select! {
            biased;
            _ = &mut stopping => {
                while let Some(frame) = events.try_recv() {
                    batch.push_back(frame);
                }
                if events.overflowed() {
                    break StreamEnd::Close(CloseCode::SlowConsumer);
                }
                if let Err(end) = chunks.send(encode(&epoch, &mut batch)).await {
                    break end;
                }
                break StreamEnd::Close(CloseCode::GoingAway);
            }
            _ = chunks.closed() => break StreamEnd::Gone,
            _ = &mut expiry => break StreamEnd::Close(CloseCode::TokenExpired),
            n = events.recv_many(&mut batch, BATCH) => {
                if n == 0 || events.overflowed() {
                    break StreamEnd::Close(if events.overflowed() {
                        CloseCode::SlowConsumer
                    } else {
                        CloseCode::Internal
                    });
                }
                if let Err(end) = chunks.send(encode(&epoch, &mut batch)).await {
                    break end;
                }
            }
            _ = keep_alive.tick() => {
                if let Err(end) = chunks.send(Bytes::from_static(KEEP_ALIVE)).await {
                    break end;
                }
            }
        }
    }
}

/// The batch as SSE messages, each with its `id: <epoch>.<seq>`.
fn encode(epoch: &str, batch: &mut VecDeque<LogFrame>) -> Bytes {
    let len = batch
        .iter()
        .map(|f| f.text.len() + epoch.len() + 40)
        .sum::<usize>();
    let mut out = BytesMut::with_capacity(len);
    for frame in batch.drain(..) {
        push_message(&mut out, Some((epoch, frame.seq)), frame.text.as_str());
    }
    out.freeze()
}

/// The `tower` service and `Debug` of an HTTP endpoint whose inherent
/// `respond(req).await` answers a request, and which counts its
/// connections and runs: the SSE and AG-UI endpoints.
macro_rules! http_endpoint {
    ($endpoint:ident) => {
        impl<B> tower_service::Service<Request<B>> for $endpoint
        where
            B: Body + Send + 'static,
            B::Data: Send,
            B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        {
            type Response = Response<SseBody>;
            type Error = Infallible;
            type Future = BoxFuture<Result<Response<SseBody>, Infallible>>;

            fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
                Poll::Ready(Ok(()))
            }

            fn call(&mut self, req: Request<B>) -> Self::Future {
                let service = self.clone();
                Box::pin(async move { Ok(service.respond(req).await) })
            }
        }

        impl fmt::Debug for $endpoint {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($endpoint))
                    .field("connections", &self.connection_count())
                    .field("runs", &self.active_runs())
                    .finish()
            }
        }
    };
}
#[cfg(feature = "ag-ui")]
pub(crate) use http_endpoint;

http_endpoint!(SseService);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids() {
        assert_eq!(
            parse_event_id("epoch-ab_1.42"),
            Some(ResumeQuery {
                since: 42,
                epoch: Some("epoch-ab_1".into())
            })
        );
        for bad in [
            "42",
            ".42",
            "e.",
            "e.+4",
            "e.-1",
            "e f.1",
            "e.1.x",
            "e.99999999999999999999",
        ] {
            assert_eq!(parse_event_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn messages_are_one_event_each() {
        let mut out = BytesMut::new();
        push_message(&mut out, Some(("e", 7)), "{\"a\":1}");
        push_message(&mut out, None, "x\ny");
        assert_eq!(
            &out[..],
            b"id: e.7\ndata: {\"a\":1}\n\ndata: x\ndata: y\n\n"
        );
    }

    #[test]
    fn every_error_code_has_an_http_status() {
        for code in ErrorCode::ALL {
            assert!(http_status(code).is_client_error() || http_status(code).is_server_error());
        }
    }
}
