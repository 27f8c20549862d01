//! The baseline: a WebSocket server written by hand on tokio-tungstenite.
//!
//! The same socket and buffer settings as agentwire's defaults, a bounded
//! queue of [`QUEUE`] frames per connection, one writer per connection that
//! feeds the frames of a batch and flushes once, no authentication and no
//! log. Its producer writes the same envelope agentwire writes (the payload
//! with serde_json), once, and shares the bytes between the user's
//! connections.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use crate::{server_ws_config, BATCH, QUEUE};

pub(crate) struct BaseRegistry {
    users: Mutex<HashMap<String, Arc<BaseUser>>>,
    next_connection: AtomicU64,
}

pub(crate) struct BaseUser {
    pub(crate) name: String,
    state: Mutex<BaseState>,
}

struct BaseState {
    seq: u64,
    connections: Vec<mpsc::Sender<Utf8Bytes>>,
}

impl BaseRegistry {
    pub(crate) fn new() -> Self {
        BaseRegistry {
            users: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(0),
        }
    }

    pub(crate) fn user(&self, name: &str) -> Arc<BaseUser> {
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

pub(crate) async fn base_accept(listener: TcpListener, registry: Arc<BaseRegistry>) {
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

pub(crate) struct BaseRun {
    /// `,"user_id":..,"thread_id":..,"run_id":..,"agent_name":..`, written
    /// once per run.
    envelope: Vec<u8>,
    pub(crate) started: Instant,
}

impl BaseRun {
    pub(crate) fn new(user: &str) -> BaseRun {
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
    pub(crate) fn send<P: Serialize>(&self, run: &BaseRun, ty: &str, payload: &P) {
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

// The ids and timestamps below do the same work as agentwire's (splitmix
// over a counter, hex digits; Hinnant's days-to-civil) but are written here
// again on purpose: the baseline is what one would write by hand on
// tokio-tungstenite alone, so it must not call into the framework it is
// measured against, and it must do the same work per event to be a fair
// comparison.

/// Writes `<prefix>_<32 hex digits>`, unique within the process.
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

pub(crate) fn base_id(prefix: &str) -> String {
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
