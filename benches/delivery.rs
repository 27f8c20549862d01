//! Delivery benchmarks: agentwire against a raw tokio-tungstenite baseline,
//! side by side in one run.
//!
//! `cargo bench --bench delivery` runs every scenario through agentwire
//! (server + `emit!`) and through the baseline below, with the same load
//! generator (real WebSocket clients on 127.0.0.1), takes the median of
//! several repetitions, prints a table and writes it to
//! `target/bench/delivery.json`. `cargo bench --bench delivery -- NAME..`
//! runs only the named scenarios; `DELIVERY_REPS=N` changes the repetitions
//! (default 5, at least 3).
//!
//! The baseline is what one would write by hand: a tokio-tungstenite server
//! with the same socket and buffer settings as agentwire's defaults (read
//! buffer 4 KiB, write buffer 8 KiB, TCP_NODELAY, 64 KiB messages), a
//! bounded queue of 1,024 frames per connection, one writer per connection
//! that feeds the frames of a batch and flushes once, no authentication and
//! no log. Its producer serialises each event with serde_json into the same
//! envelope agentwire writes, once, and shares the bytes between the user's
//! connections.
//!
//! Every wait is bounded by a deadline and every loop by a count; only
//! 127.0.0.1 is used.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agentwire::prelude::*;
use agentwire::server::{JwtAuth, Server, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, watch, Notify};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

// The multi-node scenario lives in its own module.
mod redis_scenario;

const SECRET: &str = "delivery-bench-secret";
/// Any single wait of the bench; past it the bench fails.
const DEADLINE: Duration = Duration::from_secs(90);

// Server settings shared by agentwire (its defaults) and the baseline.
const READ_BUFFER: usize = 4 * 1024;
const WRITE_BUFFER: usize = 8 * 1024;
const MAX_MESSAGE: usize = 64 * 1024;
const QUEUE: usize = 1024;
const BATCH: usize = 64;

/// Events a producer lets a connection fall behind (below [`QUEUE`], so
/// neither server ever drops a connection for being slow).
const WINDOW: u64 = 512;
/// Events emitted between two looks at the window.
const CHUNK: u64 = 32;

const SINGLE_EVENTS: u64 = 400_000;
const FANOUT_USERS: usize = 1_000;
const FANOUT_RUNS: u64 = 80;
const TABS: usize = 10;
const TAB_EVENTS: u64 = 100_000;
const IDLE_CONNECTIONS: usize = 5_000;
const CONNECTS: usize = 6_000;
const CONNECT_CONCURRENCY: usize = 32;
const EMITS: usize = 200_000;
const REASONING: &str = "Comparing the offers found so far against the budget";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Agentwire = 0,
    Baseline = 1,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Agentwire => "agentwire",
            Kind::Baseline => "baseline",
        }
    }
}

// ---------------------------------------------------------------------------
// Clock and settings

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since the bench started: the send stamp carried in payloads.
fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers())
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime")
}

fn server_ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(WRITE_BUFFER + MAX_MESSAGE * 4)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

fn client_ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(64 * 1024)
        .write_buffer_size(WRITE_BUFFER)
}

fn auth() -> JwtAuth {
    JwtAuth::hs256(SECRET).expect("secret")
}

/// `(user, token)` for each name.
fn credentials(prefix: &str, n: usize) -> Vec<(String, String)> {
    let auth = auth();
    (0..n)
        .map(|i| {
            let user = format!("{prefix}{i}");
            let token = auth
                .issue(&UserId::new(&user).unwrap(), Duration::from_secs(3600))
                .unwrap();
            (user, token)
        })
        .collect()
}

async fn deadline<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, fut).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: no progress within {DEADLINE:?}"),
    }
}

// ---------------------------------------------------------------------------
// The baseline server

struct BaseRegistry {
    users: Mutex<HashMap<String, Arc<BaseUser>>>,
    next_connection: AtomicU64,
}

struct BaseUser {
    name: String,
    state: Mutex<BaseState>,
}

struct BaseState {
    seq: u64,
    connections: Vec<mpsc::Sender<Utf8Bytes>>,
}

impl BaseRegistry {
    fn user(&self, name: &str) -> Arc<BaseUser> {
        let mut users = self.users.lock().unwrap();
        users
            .entry(name.to_owned())
            .or_insert_with(|| {
                Arc::new(BaseUser {
                    name: name.to_owned(),
                    state: Mutex::new(BaseState {
                        seq: 0,
                        connections: Vec::new(),
                    }),
                })
            })
            .clone()
    }
}

async fn base_accept(listener: TcpListener, registry: Arc<BaseRegistry>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(base_connection(stream, registry.clone()));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The user comes from `?user=` (the baseline does no authentication).
// The handshake callback's error type is set by tungstenite.
#[allow(clippy::result_large_err)]
async fn base_connection(stream: TcpStream, registry: Arc<BaseRegistry>) {
    let _ = stream.set_nodelay(true);
    let mut user = None;
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        user = req
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("user=")))
            .map(str::to_owned);
        Ok(resp)
    };
    let Ok(ws) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(server_ws_config()))
            .await
    else {
        return;
    };
    let user = registry.user(user.as_deref().unwrap_or("anonymous"));
    let id = registry.next_connection.fetch_add(1, Ordering::Relaxed);
    let hello = format!(
        r#"{{"type":"connection_established","payload":{{"connection_id":"conn_{id}","user_id":"{}"}}}}"#,
        user.name
    );
    let (tx, rx) = mpsc::channel(QUEUE);
    user.state.lock().unwrap().connections.push(tx);
    let (sink, mut source) = ws.split();
    let writer = tokio::spawn(base_write(sink, rx, hello));
    while let Some(Ok(message)) = source.next().await {
        if message.is_close() {
            break;
        }
    }
    writer.abort();
}

type ServerSink = futures_util::stream::SplitSink<WebSocketStream<TcpStream>, Message>;

async fn base_write(mut sink: ServerSink, mut rx: mpsc::Receiver<Utf8Bytes>, hello: String) {
    if sink.send(Message::text(hello)).await.is_err() {
        return;
    }
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        for frame in batch.drain(..) {
            if sink.feed(Message::Text(frame)).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}

struct BaseRun {
    /// `,"user_id":..,"thread_id":..,"run_id":..,"agent_name":..`, written
    /// once per run.
    envelope: Vec<u8>,
    started: Instant,
}

impl BaseRun {
    fn new(user: &str) -> BaseRun {
        let mut envelope = Vec::with_capacity(160);
        for (key, value) in [
            ("user_id", user),
            ("thread_id", "thread-1"),
            ("run_id", &base_id("run")),
            ("agent_name", "bench"),
        ] {
            envelope.extend_from_slice(b",\"");
            envelope.extend_from_slice(key.as_bytes());
            envelope.extend_from_slice(b"\":");
            serde_json::to_writer(&mut envelope, value).unwrap();
        }
        BaseRun {
            envelope,
            started: Instant::now(),
        }
    }
}

impl BaseUser {
    /// Writes the event's envelope by hand (the payload with serde_json)
    /// into one buffer and queues the same bytes on every connection of the
    /// user; a connection that is gone or full is dropped.
    fn send<P: Serialize>(&self, run: &BaseRun, ty: &str, payload: &P) {
        let mut buf = Vec::with_capacity(run.envelope.len() + 256);
        let mut state = self.state.lock().unwrap();
        state.seq += 1;
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(ty.as_bytes());
        let _ = write!(buf, "\",\"seq\":{},\"event_id\":\"", state.seq);
        push_id(&mut buf, "evt");
        buf.push(b'"');
        buf.extend_from_slice(&run.envelope);
        buf.extend_from_slice(b",\"timestamp\":");
        push_rfc3339(&mut buf, SystemTime::now());
        buf.extend_from_slice(b",\"payload\":");
        serde_json::to_writer(&mut buf, payload).expect("serialise");
        buf.push(b'}');
        let frame = Utf8Bytes::from(String::from_utf8(buf).expect("utf-8"));
        state
            .connections
            .retain(|tx| tx.try_send(frame.clone()).is_ok());
    }
}

fn push_id(out: &mut Vec<u8>, prefix: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    out.extend_from_slice(prefix.as_bytes());
    out.push(b'_');
    for word in [splitmix(n), splitmix(!n)] {
        for i in (0..16).rev() {
            out.push(HEX[((word >> (i * 4)) & 0xf) as usize]);
        }
    }
}

fn base_id(prefix: &str) -> String {
    let mut out = Vec::with_capacity(40);
    push_id(&mut out, prefix);
    String::from_utf8(out).unwrap()
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `"2026-11-22T10:00:00.123Z"`, with the quotes.
fn push_rfc3339(out: &mut Vec<u8>, t: SystemTime) {
    let ms = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
    let secs = ms / 1000;
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as u64;
    let sod = secs % 86_400;
    let two = |n: u64, out: &mut Vec<u8>| {
        out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8])
    };
    out.push(b'"');
    two(y / 100, out);
    two(y % 100, out);
    out.push(b'-');
    two(m, out);
    out.push(b'-');
    two(d, out);
    out.push(b'T');
    two(sod / 3600, out);
    out.push(b':');
    two(sod / 60 % 60, out);
    out.push(b':');
    two(sod % 60, out);
    out.push(b'.');
    out.push(b'0' + (ms % 1000 / 100) as u8);
    two(ms % 100, out);
    out.extend_from_slice(b"Z\"");
}

// ---------------------------------------------------------------------------
// Both servers behind one face

enum Target {
    Agentwire { hub: Hub, _server: Server },
    Baseline(Arc<BaseRegistry>),
}

struct Served {
    target: Target,
    url: String,
}

impl Served {
    async fn start(kind: Kind) -> Served {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let target = match kind {
            Kind::Agentwire => {
                let hub = Hub::builder().build().unwrap();
                let server = hub
                    .serve(listener, ServerConfig::new(auth()))
                    .await
                    .unwrap();
                Target::Agentwire {
                    hub,
                    _server: server,
                }
            }
            Kind::Baseline => {
                let registry = Arc::new(BaseRegistry {
                    users: Mutex::new(HashMap::new()),
                    next_connection: AtomicU64::new(0),
                });
                tokio::spawn(base_accept(listener, registry.clone()));
                Target::Baseline(registry)
            }
        };
        Served {
            target,
            url: format!("ws://{addr}/ws"),
        }
    }

    async fn producer(&self, user: &str) -> Producer {
        match &self.target {
            Target::Agentwire { hub, .. } => Producer::agentwire(hub, user).await,
            Target::Baseline(registry) => Producer::Baseline(registry.user(user)),
        }
    }
}

/// Emits one user's events, through agentwire or the baseline.
enum Producer {
    Agentwire(AgentBridge),
    Baseline(Arc<BaseUser>),
}

enum RunHandle {
    Agentwire(Run),
    Baseline(BaseRun),
}

#[derive(Serialize)]
struct Started<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct Thinking<'a> {
    reasoning: &'a str,
}

#[derive(Serialize)]
struct ToolExecuting<'a> {
    tool_call_id: &'a str,
    tool_name: &'a str,
    parameters: Value,
}

#[derive(Serialize)]
struct ToolCompleted<'a> {
    tool_call_id: &'a str,
    tool_name: &'a str,
    status: &'a str,
    result: Value,
    execution_time_ms: u64,
}

#[derive(Serialize)]
struct Completed<'a> {
    status: &'a str,
    result: Value,
    execution_time_ms: u64,
}

impl Producer {
    async fn agentwire(hub: &Hub, user: &str) -> Producer {
        let ctx = UserExecutionContext::new(
            UserId::new(user).unwrap(),
            ThreadId::new("thread-1").unwrap(),
        );
        let manager = hub.factory().create_manager(&ctx).await.unwrap();
        Producer::Agentwire(manager.bridge())
    }

    fn start(&self, stamp: u64) -> RunHandle {
        let message = format!("{stamp} on it");
        match self {
            Producer::Agentwire(bridge) => RunHandle::Agentwire(emit!(
                bridge,
                agent_started {
                    agent_name: "bench",
                    message
                }
            )),
            Producer::Baseline(user) => {
                let run = BaseRun::new(&user.name);
                user.send(&run, "agent_started", &Started { message: &message });
                RunHandle::Baseline(run)
            }
        }
    }

    fn think(&self, run: &RunHandle, stamp: u64) {
        let reasoning = format!("{stamp} {REASONING}");
        match (self, run) {
            (Producer::Agentwire(_), RunHandle::Agentwire(run)) => {
                emit!(run, agent_thinking { reasoning })
            }
            (Producer::Baseline(user), RunHandle::Baseline(run)) => user.send(
                run,
                "agent_thinking",
                &Thinking {
                    reasoning: &reasoning,
                },
            ),
            _ => unreachable!(),
        }
    }

    /// `agent_thinking` with a fixed text: the in-process cost of one event.
    fn think_fixed(&self, run: &RunHandle) {
        match (self, run) {
            (Producer::Agentwire(_), RunHandle::Agentwire(run)) => {
                emit!(
                    run,
                    agent_thinking {
                        reasoning: REASONING
                    }
                )
            }
            (Producer::Baseline(user), RunHandle::Baseline(run)) => user.send(
                run,
                "agent_thinking",
                &Thinking {
                    reasoning: REASONING,
                },
            ),
            _ => unreachable!(),
        }
    }

    /// `tool_executing` then `tool_completed`.
    fn tool(&self, run: &RunHandle, stamp: u64) {
        match (self, run) {
            (Producer::Agentwire(_), RunHandle::Agentwire(run)) => {
                let call = emit!(
                    run,
                    tool_executing {
                        tool_name: "search",
                        parameters: json!({ "t": stamp, "q": "gpu prices" })
                    }
                );
                emit!(
                    call,
                    tool_completed {
                        result: json!({ "t": now_ns(), "hits": 3 })
                    }
                );
            }
            (Producer::Baseline(user), RunHandle::Baseline(run)) => {
                let call_id = base_id("call");
                let started = Instant::now();
                user.send(
                    run,
                    "tool_executing",
                    &ToolExecuting {
                        tool_call_id: &call_id,
                        tool_name: "search",
                        parameters: json!({ "t": stamp, "q": "gpu prices" }),
                    },
                );
                user.send(
                    run,
                    "tool_completed",
                    &ToolCompleted {
                        tool_call_id: &call_id,
                        tool_name: "search",
                        status: "success",
                        result: json!({ "t": now_ns(), "hits": 3 }),
                        execution_time_ms: started.elapsed().as_millis() as u64,
                    },
                );
            }
            _ => unreachable!(),
        }
    }

    fn complete(&self, run: RunHandle, stamp: u64) {
        match (self, run) {
            (Producer::Agentwire(_), RunHandle::Agentwire(run)) => {
                emit!(
                    run,
                    agent_completed {
                        result: json!({ "t": stamp })
                    }
                )
            }
            (Producer::Baseline(user), RunHandle::Baseline(run)) => user.send(
                &run,
                "agent_completed",
                &Completed {
                    status: "completed",
                    result: json!({ "t": stamp }),
                    execution_time_ms: run.started.elapsed().as_millis() as u64,
                },
            ),
            _ => unreachable!(),
        }
    }
}

// ---------------------------------------------------------------------------
// The load generator: real WebSocket clients

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a connection (bearer token; `?user=` for the baseline) and reads
/// `connection_established`.
async fn connect(url: &str, user: &str, token: &str) -> Ws {
    let mut request = format!("{url}?user={user}").into_client_request().unwrap();
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(client_ws_config()), true)
            .await
            .expect("connect");
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                let hello: Value = serde_json::from_str(text.as_str()).expect("json");
                assert_eq!(hello["type"], "connection_established", "{hello}");
                return ws;
            }
            Some(Ok(_)) => continue,
            other => panic!("no connection_established: {other:?}"),
        }
    }
}

async fn connect_many(url: &str, users: &[(String, String)], concurrency: usize) -> Vec<Ws> {
    let connecting = futures_util::stream::iter(users)
        .map(|(user, token)| connect(url, user, token))
        .buffered(concurrency)
        .collect::<Vec<_>>();
    deadline("connecting", connecting).await
}

/// What a client has received so far, watched by the producer.
struct Tab {
    received: AtomicU64,
    notify: Arc<Notify>,
}

impl Tab {
    fn new(notify: &Arc<Notify>) -> Arc<Tab> {
        Arc::new(Tab {
            received: AtomicU64::new(0),
            notify: notify.clone(),
        })
    }
}

/// The send stamp an event carries.
fn stamp_of(event: &Value) -> Option<u64> {
    let payload = &event["payload"];
    let leading = |text: &Value| text.as_str()?.split(' ').next()?.parse().ok();
    match event["type"].as_str()? {
        "agent_started" => leading(&payload["message"]),
        "agent_thinking" => leading(&payload["reasoning"]),
        "tool_executing" => payload["parameters"]["t"].as_u64(),
        _ => payload["result"]["t"].as_u64(),
    }
}

/// Receives and parses `expect` events; returns when the last arrived and,
/// if asked, each event's emit→receive latency in microseconds.
async fn consume(mut ws: Ws, expect: u64, tab: Arc<Tab>, latency: bool) -> (Instant, Vec<u32>) {
    let mut latencies = Vec::with_capacity(if latency { expect as usize } else { 0 });
    let mut n = 0;
    while n < expect {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                let event: Value = serde_json::from_str(text.as_str()).expect("json");
                let stamp = stamp_of(&event).expect("a stamped event");
                if latency {
                    latencies.push((now_ns().saturating_sub(stamp) / 1000) as u32);
                }
                n += 1;
                tab.received.store(n, Ordering::Release);
                if n % CHUNK == 0 || n == expect || event["type"] == "agent_completed" {
                    tab.notify.notify_one();
                }
            }
            Some(Ok(_)) => {}
            other => panic!("the stream ended after {n} of {expect} events: {other:?}"),
        }
    }
    let done = Instant::now();
    // Keep the socket open until the producer side is torn down.
    drop(ws);
    (done, latencies)
}

/// Waits until every tab has received at least `target` events.
async fn wait_received(tabs: &[Arc<Tab>], notify: &Notify, target: u64) {
    loop {
        let min = tabs
            .iter()
            .map(|t| t.received.load(Ordering::Acquire))
            .min()
            .unwrap_or(target);
        if min >= target {
            return;
        }
        notify.notified().await;
    }
}

/// One long run of `total` events (`agent_started`, `agent_thinking`s,
/// `agent_completed`), never more than [`WINDOW`] ahead of the slowest tab.
async fn stream_run(producer: Producer, total: u64, tabs: Vec<Arc<Tab>>, notify: Arc<Notify>) {
    let mut run = Some(producer.start(now_ns()));
    let mut sent = 1;
    while sent < total {
        deadline(
            "waiting for the clients",
            wait_received(&tabs, &notify, sent.saturating_sub(WINDOW - CHUNK)),
        )
        .await;
        let until = (sent + CHUNK).min(total);
        while sent < until {
            sent += 1;
            if sent == total {
                producer.complete(run.take().unwrap(), now_ns());
            } else {
                producer.think(run.as_ref().unwrap(), now_ns());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Scenarios

/// CPU time of the server runtime's threads so far (from
/// /proc/self/task/*/stat, in clock ticks of 10 ms): the server side's cost,
/// emitting included, whatever the load generator costs.
fn server_cpu() -> Duration {
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: fields after the comm, utime and stime are
        // the 12th and 13th.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        if !head.ends_with("(server") {
            continue;
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        for f in [11, 12] {
            ticks += fields
                .get(f)
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_millis(ticks * 10)
}

/// What a throughput scenario measured.
#[derive(Clone)]
struct Throughput {
    rate: f64,
    /// Server CPU time per delivered event, in ns.
    cpu_ns: f64,
}

/// A fresh pair of runtimes and a fresh server for one repetition.
fn repetition<T>(kind: Kind, body: impl FnOnce(&Runtime, &Runtime, &Served) -> T) -> T {
    let server_rt = runtime("server");
    let client_rt = runtime("client");
    let served = server_rt.block_on(Served::start(kind));
    let out = body(&server_rt, &client_rt, &served);
    client_rt.shutdown_timeout(Duration::from_secs(5));
    server_rt.shutdown_timeout(Duration::from_secs(5));
    drop(served);
    out
}

/// Events/s delivered to `tabs` connections of one user streaming `events`.
fn stream_rate(kind: Kind, tabs: usize, events: u64) -> Throughput {
    repetition(kind, |server_rt, client_rt, served| {
        let creds = credentials("tab", 1);
        let (user, _) = &creds[0];
        let all = vec![creds[0].clone(); tabs];
        let conns = client_rt.block_on(connect_many(&served.url, &all, tabs));
        let notify = Arc::new(Notify::new());
        let tab_state: Vec<Arc<Tab>> = (0..tabs).map(|_| Tab::new(&notify)).collect();
        let clients: Vec<_> = conns
            .into_iter()
            .zip(&tab_state)
            .map(|(ws, tab)| client_rt.spawn(consume(ws, events, tab.clone(), false)))
            .collect();
        let producer = server_rt.block_on(served.producer(user));
        let cpu = server_cpu();
        let start = Instant::now();
        let streaming = server_rt.spawn(stream_run(producer, events, tab_state, notify));
        let ends = client_rt.block_on(deadline("streaming", async {
            let mut ends = Vec::new();
            for client in clients {
                ends.push(client.await.expect("client").0);
            }
            ends
        }));
        server_rt.block_on(streaming).expect("producer");
        let cpu = server_cpu() - cpu;
        let end = ends.into_iter().max().unwrap();
        let delivered = (events * tabs as u64) as f64;
        Throughput {
            rate: delivered / (end - start).as_secs_f64(),
            cpu_ns: cpu.as_nanos() as f64 / delivered,
        }
    })
}

#[derive(Clone)]
struct Fanout {
    rate: f64,
    cpu_ns: f64,
    p50_us: f64,
    p99_us: f64,
}

fn fanout(kind: Kind) -> Fanout {
    repetition(kind, |server_rt, client_rt, served| {
        let creds = credentials("fan", FANOUT_USERS);
        let conns = client_rt.block_on(connect_many(&served.url, &creds, 64));
        let expect = FANOUT_RUNS * 5;
        let (go_tx, go_rx) = watch::channel(false);
        let mut clients = Vec::new();
        let mut producers = Vec::new();
        for (ws, (user, _)) in conns.into_iter().zip(&creds) {
            let notify = Arc::new(Notify::new());
            let tab = Tab::new(&notify);
            clients.push(client_rt.spawn(consume(ws, expect, tab.clone(), true)));
            let producer = server_rt.block_on(served.producer(user));
            let mut go = go_rx.clone();
            producers.push(server_rt.spawn(async move {
                let _ = go.wait_for(|go| *go).await;
                let tabs = [tab];
                for r in 0..FANOUT_RUNS {
                    let run = producer.start(now_ns());
                    producer.think(&run, now_ns());
                    producer.tool(&run, now_ns());
                    producer.complete(run, now_ns());
                    deadline(
                        "waiting for a run",
                        wait_received(&tabs, &notify, 5 * (r + 1)),
                    )
                    .await;
                }
            }));
        }
        let cpu = server_cpu();
        let start = Instant::now();
        go_tx.send_replace(true);
        let (ends, mut latencies) = client_rt.block_on(deadline("fan-out", async {
            let mut ends = Vec::new();
            let mut latencies = Vec::new();
            for client in clients {
                let (end, l) = client.await.expect("client");
                ends.push(end);
                latencies.extend(l);
            }
            (ends, latencies)
        }));
        server_rt.block_on(async {
            for p in producers {
                p.await.expect("producer");
            }
        });
        let cpu = server_cpu() - cpu;
        let end = ends.into_iter().max().unwrap();
        latencies.sort_unstable();
        let pct = |p: usize| f64::from(latencies[(latencies.len() - 1) * p / 100]);
        Fanout {
            rate: (FANOUT_USERS as u64 * expect) as f64 / (end - start).as_secs_f64(),
            cpu_ns: cpu.as_nanos() as f64 / (FANOUT_USERS as u64 * expect) as f64,
            p50_us: pct(50),
            p99_us: pct(99),
        }
    })
}

fn connect_rate(kind: Kind) -> f64 {
    repetition(kind, |_, client_rt, served| {
        let creds = Arc::new(credentials("conn", 1_000));
        let url = Arc::new(served.url.clone());
        // Warm up: the first handshakes fault in code and buffers.
        drop(client_rt.block_on(connect_many(&url, &creds[..50], 8)));
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let workers: Vec<_> = (0..CONNECT_CONCURRENCY)
            .map(|_| {
                let (creds, url, next) = (creds.clone(), url.clone(), next.clone());
                client_rt.spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= CONNECTS {
                            break;
                        }
                        let (user, token) = &creds[i % creds.len()];
                        drop(connect(&url, user, token).await);
                    }
                })
            })
            .collect();
        client_rt.block_on(deadline("connecting", async {
            for w in workers {
                w.await.expect("connector");
            }
        }));
        CONNECTS as f64 / start.elapsed().as_secs_f64()
    })
}

/// ns per `agent_thinking` with no socket and no subscriber, emitting
/// round-robin over `users` users' runs.
fn emit_inprocess(kind: Kind, users: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let hub = Hub::builder().build().unwrap();
        let registry = BaseRegistry {
            users: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(0),
        };
        let mut producers = Vec::with_capacity(users);
        for u in 0..users {
            let user = format!("emit{u}");
            producers.push(match kind {
                Kind::Agentwire => Producer::agentwire(&hub, &user).await,
                Kind::Baseline => Producer::Baseline(registry.user(&user)),
            });
        }
        let runs: Vec<RunHandle> = producers.iter().map(|p| p.start(now_ns())).collect();
        let pass = |n: usize| {
            let start = Instant::now();
            for i in 0..n {
                let u = i % users;
                producers[u].think_fixed(&runs[u]);
            }
            start.elapsed().as_nanos() as f64 / n as f64
        };
        pass(EMITS / 10);
        pass(EMITS)
    })
}

// ---------------------------------------------------------------------------
// idle_memory: the server in a child process, measured alone

/// The child: serve on 127.0.0.1 until stdin closes.
fn child_server(kind: Kind) {
    let rt = runtime("server");
    let served = rt.block_on(Served::start(kind));
    println!("URL {}", served.url);
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    std::process::exit(0);
}

/// Resident bytes of a process, from /proc/<pid>/statm (4 KiB pages).
fn rss(pid: u32) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).expect("statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// KiB of server RSS per idle authenticated connection.
fn idle_memory(kind: Kind) -> f64 {
    let exe = std::env::current_exe().expect("current exe");
    let mut child = ChildGuard(
        Command::new(exe)
            .args(["--child-server", kind.name()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the server"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("the server's address");
    let url = line
        .trim()
        .strip_prefix("URL ")
        .unwrap_or_else(|| panic!("the server printed {line:?}"))
        .to_owned();
    let pid = child.0.id();
    let client_rt = runtime("client");
    let warm = credentials("warm", 20);
    let users = credentials("idle", IDLE_CONNECTIONS);
    drop(client_rt.block_on(connect_many(&url, &warm, 20)));
    std::thread::sleep(Duration::from_millis(300));
    let before = rss(pid);
    let conns = client_rt.block_on(connect_many(&url, &users, 64));
    std::thread::sleep(Duration::from_millis(500));
    let after = rss(pid);
    drop(conns);
    client_rt.shutdown_timeout(Duration::from_secs(5));
    drop(child);
    after.saturating_sub(before) as f64 / IDLE_CONNECTIONS as f64 / 1024.0
}

// ---------------------------------------------------------------------------
// Results

#[derive(Clone, Copy)]
enum Goal {
    /// ratio ≥ x (throughput).
    RatioAtLeast(f64),
    /// ratio ≤ x (latency, memory).
    RatioAtMost(f64),
    /// ratio ≤ x and agentwire ≤ y.
    RatioAndAbsolute(f64, f64),
    /// agentwire ≤ y (reported).
    AbsoluteAtMost(f64),
    None,
}

struct Row {
    name: &'static str,
    unit: &'static str,
    agentwire: f64,
    baseline: f64,
    goal: Goal,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.agentwire / self.baseline
    }

    fn target(&self) -> String {
        match self.goal {
            Goal::RatioAtLeast(x) => format!("ratio ≥ {x}"),
            Goal::RatioAtMost(x) => format!("ratio ≤ {x}"),
            Goal::RatioAndAbsolute(x, y) => format!("ratio ≤ {x}, ≤ {y} {}", self.unit),
            Goal::AbsoluteAtMost(y) => format!("≤ {y} {}", self.unit),
            Goal::None => "reported".to_owned(),
        }
    }

    fn met(&self) -> bool {
        match self.goal {
            Goal::RatioAtLeast(x) => self.ratio() >= x,
            Goal::RatioAtMost(x) => self.ratio() <= x,
            Goal::RatioAndAbsolute(x, y) => self.ratio() <= x && self.agentwire <= y,
            Goal::AbsoluteAtMost(y) => self.agentwire <= y,
            Goal::None => true,
        }
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn fmt_num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Runs `measure` for both kinds, alternating, `reps` times each.
/// `DELIVERY_KIND=agentwire|baseline` measures one side alone (for
/// profiling; the other column then repeats it).
fn both<T: Clone>(name: &str, reps: usize, mut measure: impl FnMut(Kind) -> T) -> [Vec<T>; 2] {
    let kinds: &[Kind] = match std::env::var("DELIVERY_KIND").as_deref() {
        Ok("agentwire") => &[Kind::Agentwire],
        Ok("baseline") => &[Kind::Baseline],
        _ => &[Kind::Agentwire, Kind::Baseline],
    };
    let mut out = [Vec::new(), Vec::new()];
    for rep in 0..reps {
        for &kind in kinds {
            let t = Instant::now();
            out[kind as usize].push(measure(kind));
            eprintln!(
                "  {name} rep {}/{reps} {:<9} {:>6.2}s",
                rep + 1,
                kind.name(),
                t.elapsed().as_secs_f64()
            );
        }
    }
    if kinds.len() == 1 {
        let i = kinds[0] as usize;
        out[1 - i] = out[i].clone();
    }
    out
}

/// The rate row (with its target) and the server-CPU row of a throughput
/// scenario.
fn throughput_rows(
    rows: &mut Vec<Row>,
    [name, cpu_name]: [&'static str; 2],
    aw: &[Throughput],
    base: &[Throughput],
    target: f64,
) {
    let pick = |v: &[Throughput], f: fn(&Throughput) -> f64| median(v.iter().map(f).collect());
    rows.push(Row {
        name,
        unit: "events/s",
        agentwire: pick(aw, |t| t.rate),
        baseline: pick(base, |t| t.rate),
        goal: Goal::RatioAtLeast(target),
    });
    rows.push(Row {
        name: cpu_name,
        unit: "ns/event",
        agentwire: pick(aw, |t| t.cpu_ns),
        baseline: pick(base, |t| t.cpu_ns),
        goal: Goal::None,
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child-server") {
        let kind = match args.get(i + 1).map(String::as_str) {
            Some("agentwire") => Kind::Agentwire,
            Some("baseline") => Kind::Baseline,
            other => panic!("--child-server agentwire|baseline, not {other:?}"),
        };
        return child_server(kind);
    }
    let only: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| name.starts_with(o));
    let reps: usize = std::env::var("DELIVERY_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(3);
    epoch();
    let started = Instant::now();
    let mut rows = Vec::new();

    if wanted("single_stream") {
        let [aw, base] = both("single_stream", reps, |k| stream_rate(k, 1, SINGLE_EVENTS));
        throughput_rows(
            &mut rows,
            ["single_stream", "single_stream_cpu"],
            &aw,
            &base,
            0.8,
        );
    }
    if wanted("fanout_1k") {
        let [aw, base] = both("fanout_1k", reps, fanout);
        let pick = |v: &[Fanout], f: fn(&Fanout) -> f64| median(v.iter().map(f).collect());
        rows.push(Row {
            name: "fanout_1k",
            unit: "events/s",
            agentwire: pick(&aw, |f| f.rate),
            baseline: pick(&base, |f| f.rate),
            goal: Goal::RatioAtLeast(0.7),
        });
        rows.push(Row {
            name: "fanout_1k_cpu",
            unit: "ns/event",
            agentwire: pick(&aw, |f| f.cpu_ns),
            baseline: pick(&base, |f| f.cpu_ns),
            goal: Goal::None,
        });
        rows.push(Row {
            name: "fanout_1k_p50",
            unit: "µs",
            agentwire: pick(&aw, |f| f.p50_us),
            baseline: pick(&base, |f| f.p50_us),
            goal: Goal::None,
        });
        rows.push(Row {
            name: "fanout_1k_p99",
            unit: "µs",
            agentwire: pick(&aw, |f| f.p99_us),
            baseline: pick(&base, |f| f.p99_us),
            goal: Goal::RatioAtMost(2.0),
        });
    }
    if wanted("tabs_10") {
        let [aw, base] = both("tabs_10", reps, |k| stream_rate(k, TABS, TAB_EVENTS));
        throughput_rows(&mut rows, ["tabs_10", "tabs_10_cpu"], &aw, &base, 0.8);
    }
    if wanted("idle_memory") {
        let [aw, base] = both("idle_memory", reps, idle_memory);
        rows.push(Row {
            name: "idle_memory",
            unit: "KiB/conn",
            agentwire: median(aw),
            baseline: median(base),
            goal: Goal::RatioAndAbsolute(1.5, 24.0),
        });
    }
    if wanted("connect_rate") {
        let [aw, base] = both("connect_rate", reps, connect_rate);
        rows.push(Row {
            name: "connect_rate",
            unit: "conn/s",
            agentwire: median(aw),
            baseline: median(base),
            goal: Goal::RatioAtLeast(0.5),
        });
    }
    if wanted("emit_inprocess") {
        for (name, users) in [("emit_inprocess_1", 1), ("emit_inprocess_1k", 1_000)] {
            let [aw, base] = both(name, reps.max(5), |k| emit_inprocess(k, users));
            rows.push(Row {
                name,
                unit: "ns/emit",
                agentwire: median(aw),
                baseline: median(base),
                goal: Goal::AbsoluteAtMost(1000.0),
            });
        }
    }

    // ---- the multi-node scenario (Redis), with its own table ----
    if wanted("redis") {
        redis_scenario::run(reps.min(3));
    }
    // ---- end of the multi-node scenario ----

    println!();
    println!(
        "{:<18} {:>9} {:>12} {:>12} {:>7}  {:<26} met",
        "scenario", "unit", "agentwire", "baseline", "ratio", "target"
    );
    for row in &rows {
        println!(
            "{:<18} {:>9} {:>12} {:>12} {:>7.2}  {:<26} {}",
            row.name,
            row.unit,
            fmt_num(row.agentwire),
            fmt_num(row.baseline),
            row.ratio(),
            row.target(),
            if row.met() { "yes" } else { "NO" }
        );
    }
    let json = json!({
        "machine": {
            "nproc": workers(),
            "cpu": cpu_model(),
        },
        "repetitions": reps,
        "scenarios": rows.iter().map(|r| json!({
            "name": r.name,
            "unit": r.unit,
            "agentwire": r.agentwire,
            "baseline": r.baseline,
            "ratio": r.ratio(),
        })).collect::<Vec<_>>(),
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let path = dir.join("delivery.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).expect("write json");
    println!(
        "\n{} on {} ({} cores), median of {reps}; {:.0}s; wrote {}",
        rows.len(),
        cpu_model(),
        workers(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
}
