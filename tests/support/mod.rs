//! Shared by the end-to-end tests: a real server on loopback, real JWTs,
//! real WebSocket clients.
#![allow(dead_code)]

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::server::{JwtAuth, Server, ServerConfig, WsService};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const SECRET: &str = "end-to-end-test-secret";
pub const WAIT: Duration = Duration::from_secs(20);

/// Thinks, calls `search`, and answers with the message; "fail" in the
/// message makes the tool and the run fail.
#[agent(name = "researcher")]
pub async fn researcher(run: &Run, msg: UserMessage) -> Result<Value, AgentError> {
    emit!(
        run,
        agent_thinking {
            reasoning: format!("Reading: {}", msg.content)
        }
    );
    let call = emit!(
        run,
        tool_executing {
            tool_name: "search",
            parameters: json!({ "q": msg.content })
        }
    );
    tokio::task::yield_now().await;
    if msg.content.contains("fail") {
        emit!(
            call,
            tool_completed {
                error: "search refused"
            }
        );
        return Err(AgentError::new(format!(
            "could not research {}",
            msg.content
        )));
    }
    emit!(
        call,
        tool_completed {
            result: json!({ "hits": 3, "q": msg.content })
        }
    );
    Ok(json!({ "answer": format!("3 offers for {}", msg.content) }))
}

#[agent(name = "panicker")]
pub async fn panicker(run: &Run, _msg: UserMessage) -> Result<Value, AgentError> {
    emit!(
        run,
        agent_thinking {
            reasoning: "about to panic"
        }
    );
    panic!("handler exploded");
}

/// Opens a tool call and never finishes: only cancellation ends it.
#[agent(name = "sleeper")]
pub async fn sleeper(run: &Run, _msg: UserMessage) -> Result<Value, AgentError> {
    let _call = emit!(
        run,
        tool_executing {
            tool_name: "wait_forever"
        }
    );
    std::future::pending::<()>().await;
    Ok(Value::Null)
}

/// A validated context for `user` on `thread`.
pub fn ctx(user: &str, thread: &str) -> UserExecutionContext {
    UserExecutionContext::new(
        UserId::new(user).expect("user id"),
        ThreadId::new(thread).expect("thread id"),
    )
}

/// The typed bridge of `user` on `thread` from `hub`'s factory.
pub async fn bridge(hub: &Hub, user: &str, thread: &str) -> AgentBridge {
    hub.factory()
        .create_manager(&ctx(user, thread))
        .await
        .expect("manager")
        .bridge()
}

/// A manager of `user` on `thread` from `hub`, and a subscription to all of
/// the user's events from then on.
pub async fn subscribed_on(
    hub: &Hub,
    user: &str,
    thread: &str,
) -> (UserWebSocketManager, agentwire::Subscription) {
    let manager = hub
        .factory()
        .create_manager(&ctx(user, thread))
        .await
        .expect("manager");
    let events = manager.subscribe();
    (manager, events)
}

/// [`subscribed_on`] a fresh hub with the default configuration.
pub async fn subscribed(
    user: &str,
    thread: &str,
) -> (Hub, UserWebSocketManager, agentwire::Subscription) {
    let hub = Hub::builder().build().expect("default hub");
    let (manager, events) = subscribed_on(&hub, user, thread).await;
    (hub, manager, events)
}

/// Emits one whole run as `user` on thread `t` through `hub`'s typed
/// bridge: `agent_started`, `thinking` thoughts (`thought 0`, ..), then
/// `agent_completed`.
pub async fn emit_thoughts(hub: &Hub, user: &str, thinking: usize) {
    let bridge = bridge(hub, user, "t").await;
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "thinker"
        }
    );
    for i in 0..thinking {
        emit!(
            run,
            agent_thinking {
                reasoning: format!("thought {i}")
            }
        );
    }
    emit!(run, agent_completed {});
}

pub fn auth() -> JwtAuth {
    JwtAuth::hs256(SECRET).unwrap()
}

pub fn token(user: &str) -> String {
    auth()
        .issue(&UserId::new(user).unwrap(), Duration::from_secs(600))
        .unwrap()
}

pub fn config() -> ServerConfig {
    ServerConfig::new(auth())
}

pub struct TestServer {
    pub hub: Hub,
    pub server: Endpoint,
    pub url: String,
}

/// How the suites reach agentwire: `hub.serve` owning the port (the
/// default), or the endpoint mounted at `/ws` in an axum `Router` beside a
/// REST route, when `AGENTWIRE_TEST_ENTRY=mounted`. Both must pass every
/// suite that starts a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Serve,
    Mounted,
}

impl Entry {
    /// The entry point the environment selects; an unknown value is an error,
    /// so that a typo never quietly tests the default instead.
    pub fn from_env() -> Entry {
        match std::env::var("AGENTWIRE_TEST_ENTRY").as_deref() {
            Err(_) | Ok("") | Ok("serve") => Entry::Serve,
            Ok("mounted") => Entry::Mounted,
            Ok(other) => panic!("AGENTWIRE_TEST_ENTRY={other:?}: expected `serve` or `mounted`"),
        }
    }
}

/// A running endpoint, whichever entry point started it.
pub enum Endpoint {
    Serve(Server),
    Mounted {
        ws: WsService,
        local_addr: std::net::SocketAddr,
        stop: tokio::sync::oneshot::Sender<()>,
        app: tokio::task::JoinHandle<std::io::Result<()>>,
    },
}

impl Endpoint {
    pub fn local_addr(&self) -> std::net::SocketAddr {
        match self {
            Endpoint::Serve(server) => server.local_addr(),
            Endpoint::Mounted { local_addr, .. } => *local_addr,
        }
    }

    pub fn connection_count(&self) -> usize {
        match self {
            Endpoint::Serve(server) => server.connection_count(),
            Endpoint::Mounted { ws, .. } => ws.connection_count(),
        }
    }

    pub fn active_runs(&self) -> usize {
        match self {
            Endpoint::Serve(server) => server.active_runs(),
            Endpoint::Mounted { ws, .. } => ws.active_runs(),
        }
    }

    /// Graceful shutdown: for the mounted endpoint, the way an app wires it
    /// to axum's graceful shutdown (agentwire's endpoint first, then axum).
    pub async fn shutdown(self) {
        match self {
            Endpoint::Serve(server) => server.shutdown().await,
            Endpoint::Mounted { stop, app, .. } => {
                let _ = stop.send(());
                app.await.unwrap().unwrap();
            }
        }
    }
}

/// `builder` with the suite's agents: `researcher` (the default),
/// `panicker` and `sleeper`.
pub fn with_agents(builder: agentwire::HubBuilder) -> agentwire::HubBuilder {
    builder.agent(researcher).agent(panicker).agent(sleeper)
}

pub async fn start(config: ServerConfig) -> TestServer {
    start_hub(with_agents(Hub::builder()).build().unwrap(), config).await
}

/// Starts `hub` on a free loopback port through the entry point that
/// [`Entry::from_env`] selects.
pub async fn start_hub(hub: Hub, config: ServerConfig) -> TestServer {
    start_entry(Entry::from_env(), hub, config).await
}

pub async fn start_entry(entry: Entry, hub: Hub, config: ServerConfig) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = match entry {
        Entry::Serve => Endpoint::Serve(hub.serve(listener, config).await.unwrap()),
        Entry::Mounted => mount(&hub, listener, config),
    };
    let url = format!("ws://{}/ws", server.local_addr());
    TestServer { hub, server, url }
}

/// The endpoints at `/ws` and `/events` of an axum app that has REST routes
/// of its own.
fn mount(hub: &Hub, listener: tokio::net::TcpListener, config: ServerConfig) -> Endpoint {
    use axum::routing::get;
    let ws = hub.ws_service(config).unwrap();
    let local_addr = listener.local_addr().unwrap();
    let router = axum::Router::new()
        .route("/api/health", get(|| async { "ok" }))
        .route_service("/ws", ws.clone())
        .route_service("/events", ws.sse_service());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = tokio::spawn({
        let ws = ws.clone();
        async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                    ws.shutdown().await;
                })
                .await
        }
    });
    Endpoint::Mounted {
        ws,
        local_addr,
        stop,
        app,
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Client {
    pub ws: Ws,
    pub user: String,
    pub connection_id: String,
}

impl Client {
    /// Connects with `Authorization: Bearer` and reads `connection_established`.
    pub async fn connect(url: &str, user: &str) -> Client {
        Client::connect_query(url, user, "").await.0
    }

    /// Connects with a query string (e.g. `since=3&epoch=..`, or none) and
    /// reads `connection_established`, whose payload is returned as well.
    pub async fn connect_query(url: &str, user: &str, query: &str) -> (Client, Value) {
        Client::connect_with(url, user, &token(user), query).await
    }

    /// [`Client::connect_query`] with a token of the caller's (another
    /// secret, another lifetime).
    pub async fn connect_with(url: &str, user: &str, token: &str, query: &str) -> (Client, Value) {
        let url = if query.is_empty() {
            url.to_owned()
        } else {
            format!("{url}?{query}")
        };
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connect");
        Client::hello(ws, user).await
    }

    pub async fn established(ws: Ws, user: &str) -> Client {
        Client::hello(ws, user).await.0
    }

    /// Reads `connection_established` on a fresh connection; returns its payload too.
    pub async fn hello(ws: Ws, user: &str) -> (Client, Value) {
        let mut client = Client {
            ws,
            user: user.to_owned(),
            connection_id: String::new(),
        };
        let hello = client.recv().await;
        assert_eq!(hello["type"], "connection_established", "{hello}");
        assert_eq!(hello["payload"]["user_id"], user);
        client.connection_id = hello["payload"]["connection_id"]
            .as_str()
            .unwrap()
            .to_owned();
        (client, hello["payload"].clone())
    }

    pub async fn send(&mut self, value: Value) {
        self.ws
            .send(Message::text(value.to_string()))
            .await
            .unwrap();
    }

    pub async fn send_message(&mut self, content: &str) {
        self.send(json!({ "type": "user_message", "payload": { "content": content } }))
            .await;
    }

    pub async fn send_to(&mut self, agent: &str, content: &str) {
        self.send(
            json!({ "type": "user_message", "payload": { "content": content, "agent": agent } }),
        )
        .await;
    }

    /// The next JSON frame; panics on close or timeout.
    pub async fn recv(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for a frame")
                .expect("connection ended")
                .expect("websocket error");
            match frame {
                Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                Message::Close(close) => panic!("unexpected close: {close:?}"),
                _ => continue,
            }
        }
    }

    /// Events up to and including the next `agent_completed`.
    pub async fn recv_run(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let event = self.recv().await;
            let done = event["type"] == "agent_completed";
            events.push(event);
            if done {
                return events;
            }
        }
    }

    /// Reads until the server's close frame and returns it (text frames
    /// before it are returned too).
    pub async fn recv_close(&mut self) -> (Vec<Value>, Option<CloseFrame>) {
        let mut before = Vec::new();
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for close");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    before.push(serde_json::from_str(text.as_str()).unwrap())
                }
                Some(Ok(Message::Close(close))) => return (before, close),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("error before a close frame: {e}"),
                None => return (before, None),
            }
        }
    }
}

pub fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// This process's resident memory in bytes.
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// The `host:port` of a test server.
pub fn addr(t: &TestServer) -> String {
    t.server.local_addr().to_string()
}

/// Sends raw bytes as an HTTP request and returns the response head
/// (status line and headers), read until the blank line or the close.
pub async fn raw_http(addr: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may answer (and close) before it has read everything.
    let _ = stream.write_all(request).await;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("timed out waiting for an HTTP answer")
            .unwrap_or(0);
        head.extend_from_slice(&buf[..n]);
        if n == 0 || head.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The status code of an HTTP response head (0 if there was no answer).
pub fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A well-formed handshake request for `user` with `extra` header lines.
pub fn upgrade_request(addr: &str, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// A WebSocket client that writes raw frames, to send what well-behaved
/// clients never do.
pub struct RawClient {
    pub stream: TcpStream,
}

impl RawClient {
    /// Completes the handshake as `user` and reads `connection_established`.
    pub async fn connect(addr: &str, user: &str) -> RawClient {
        use tokio::io::AsyncWriteExt;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let auth = format!("Authorization: Bearer {}\r\n", token(user));
        stream
            .write_all(upgrade_request(addr, "/ws", &auth).as_bytes())
            .await
            .unwrap();
        let mut client = RawClient { stream };
        let head = client.read_until_blank_line().await;
        assert_eq!(status_of(&head), 101, "{head}");
        let (opcode, payload) = client.read_frame().await.expect("hello");
        assert_eq!(opcode, 1);
        let hello: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(hello["type"], "connection_established");
        client
    }

    async fn read_until_blank_line(&mut self) -> String {
        use tokio::io::AsyncReadExt;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            self.stream.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        String::from_utf8_lossy(&head).into_owned()
    }

    /// Sends one masked frame with the given first byte (FIN, opcode).
    pub async fn send_frame(&mut self, first: u8, payload: &[u8]) {
        use tokio::io::AsyncWriteExt;
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        let mut frame = vec![first];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.unwrap();
    }

    /// The next frame from the server: opcode and payload; None at EOF.
    pub async fn read_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        use tokio::io::AsyncReadExt;
        let mut head = [0u8; 2];
        tokio::time::timeout(WAIT, self.stream.read_exact(&mut head))
            .await
            .expect("timed out waiting for a frame")
            .ok()?;
        let len = match head[1] & 0x7f {
            126 => {
                let mut n = [0u8; 2];
                self.stream.read_exact(&mut n).await.ok()?;
                u64::from(u16::from_be_bytes(n))
            }
            127 => {
                let mut n = [0u8; 8];
                self.stream.read_exact(&mut n).await.ok()?;
                u64::from_be_bytes(n)
            }
            n => u64::from(n),
        };
        let mut payload = vec![0u8; len as usize];
        self.stream.read_exact(&mut payload).await.ok()?;
        Some((head[0] & 0x0f, payload))
    }

    /// Reads frames until the server's close frame and returns its code
    /// (None if the connection ended without one).
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match self.read_frame().await? {
                (8, payload) if payload.len() >= 2 => {
                    return Some(u16::from_be_bytes([payload[0], payload[1]]))
                }
                (8, _) => return None,
                _ => continue,
            }
        }
    }
}

/// One Server-Sent Event: its `id`, `event` name and `data` (lines joined
/// with `\n`), or a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub comment: bool,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {:?}", self.data))
    }
}

/// A raw HTTP/1.1 response: status, head, and the decoded body read so far.
pub struct HttpStream {
    pub stream: tokio::io::BufReader<TcpStream>,
    pub status: u16,
    pub head: String,
    chunked: bool,
    /// Bytes of the current chunk left to read (chunked) or of the body.
    left: u64,
    done: bool,
    /// Decoded body not yet parsed into events.
    pending: String,
}

impl HttpStream {
    /// Sends `method path` with `extra` header lines and `body`, and reads
    /// the response head.
    pub async fn request(
        addr: &str,
        method: &str,
        path: &str,
        extra: &str,
        body: &[u8],
    ) -> HttpStream {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let length = if body.is_empty() && method == "GET" {
            String::new()
        } else {
            format!("Content-Length: {}\r\n", body.len())
        };
        let head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{length}{extra}\r\n");
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(body).await;
        let mut reader = tokio::io::BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(WAIT, reader.read_line(&mut line))
                .await
                .expect("timed out waiting for a response head")
                .unwrap_or(0);
            if n == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let lower = head.to_ascii_lowercase();
        let chunked = lower.contains("transfer-encoding: chunked");
        let left = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|n| n.trim().parse().unwrap())
            .unwrap_or(if chunked { 0 } else { u64::MAX });
        HttpStream {
            stream: reader,
            status: status_of(&head),
            head,
            chunked,
            left,
            done: !chunked && left == 0,
            pending: String::new(),
        }
    }

    /// `GET path` with `Accept: text/event-stream` and `extra` header lines.
    pub async fn get(addr: &str, path: &str, extra: &str) -> HttpStream {
        HttpStream::request(
            addr,
            "GET",
            path,
            &format!("Accept: text/event-stream\r\n{extra}"),
            b"",
        )
        .await
    }

    /// `POST path` of a JSON `body` with `extra` header lines.
    pub async fn post(addr: &str, path: &str, extra: &str, body: &Value) -> HttpStream {
        let extra = format!("Content-Type: application/json\r\n{extra}");
        HttpStream::request(addr, "POST", path, &extra, body.to_string().as_bytes()).await
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let name = format!("{}:", name.to_ascii_lowercase());
        self.head.lines().find_map(|l| {
            let lower = l.to_ascii_lowercase();
            lower
                .starts_with(&name)
                .then(|| l[name.len()..].trim().to_owned())
        })
    }

    /// More of the body; None at its end.
    async fn more(&mut self) -> Option<Vec<u8>> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt};
        if self.done {
            return None;
        }
        if self.chunked && self.left == 0 {
            let mut line = String::new();
            let n = self.stream.read_line(&mut line).await.ok()?;
            if n == 0 {
                self.done = true;
                return None;
            }
            let size = u64::from_str_radix(line.trim(), 16).expect("chunk size");
            if size == 0 {
                self.done = true;
                return None;
            }
            self.left = size;
        }
        let mut buf = vec![0u8; self.left.min(16 * 1024) as usize];
        let n = self.stream.read(&mut buf).await.ok()?;
        if n == 0 {
            self.done = true;
            return None;
        }
        buf.truncate(n);
        if self.left != u64::MAX {
            self.left -= n as u64;
        }
        if self.chunked && self.left == 0 {
            let mut crlf = [0u8; 2];
            self.stream.read_exact(&mut crlf).await.ok()?;
        } else if !self.chunked && self.left == 0 {
            self.done = true;
        }
        Some(buf)
    }

    /// The whole body (for answers that are not streams).
    pub async fn body(&mut self) -> String {
        let mut out = std::mem::take(&mut self.pending).into_bytes();
        while let Some(more) = tokio::time::timeout(WAIT, self.more())
            .await
            .expect("timed out reading a body")
        {
            out.extend_from_slice(&more);
        }
        String::from_utf8(out).unwrap()
    }

    pub async fn json(&mut self) -> Value {
        let body = self.body().await;
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body:?}"))
    }

    /// The next event or comment; None at the end of the stream.
    pub async fn next_any(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                let mut event = SseEvent::default();
                let mut data = Vec::new();
                for line in block.lines().filter(|l| !l.is_empty()) {
                    if line.starts_with(':') {
                        event.comment = true;
                        continue;
                    }
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "id" => event.id = Some(value.to_owned()),
                        "event" => event.event = Some(value.to_owned()),
                        "data" => data.push(value.to_owned()),
                        _ => {}
                    }
                }
                event.data = data.join("\n");
                return Some(event);
            }
            let more = tokio::time::timeout(WAIT, self.more())
                .await
                .expect("timed out waiting for an event")?;
            self.pending.push_str(std::str::from_utf8(&more).unwrap());
        }
    }

    /// The next event that is not a comment; panics at the end of the stream.
    pub async fn next_event(&mut self) -> SseEvent {
        loop {
            let event = self.next_any().await.expect("the stream ended");
            if !event.comment {
                return event;
            }
        }
    }

    /// Events up to and including the next `agent_completed`.
    pub async fn next_run(&mut self) -> Vec<SseEvent> {
        let mut events = Vec::new();
        loop {
            let event = self.next_event().await;
            let done = event.json()["type"] == "agent_completed";
            events.push(event);
            if done {
                return events;
            }
        }
    }
}

pub fn bearer_line(user: &str) -> String {
    format!("Authorization: Bearer {}\r\n", token(user))
}

#[cfg(feature = "redis")]
pub mod redis;
