//! The load generator: real WebSocket clients on 127.0.0.1 that parse
//! every event, and the producer loop that keeps them at most a window
//! behind.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::served::Producer;
use crate::{client_ws_config, deadline, now_ns, CHUNK, WINDOW};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a connection (bearer token; `?user=` for the baseline) and reads
/// `connection_established`.
pub(crate) async fn connect(url: &str, user: &str, token: &str) -> Ws {
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

pub(crate) async fn connect_many(
    url: &str,
    users: &[(String, String)],
    concurrency: usize,
) -> Vec<Ws> {
    let connecting = futures_util::stream::iter(users)
        .map(|(user, token)| connect(url, user, token))
        .buffered(concurrency)
        .collect::<Vec<_>>();
    deadline("connecting", connecting).await
}

/// What a client has received so far, watched by the producer.
pub(crate) struct Tab {
    received: AtomicU64,
    notify: Arc<Notify>,
}

impl Tab {
    pub(crate) fn new(notify: &Arc<Notify>) -> Arc<Tab> {
        Arc::new(Tab {
            received: AtomicU64::new(0),
            notify: notify.clone(),
        })
    }
}

/// The send stamp an event carries.
pub(crate) fn stamp_of(event: &Value) -> Option<u64> {
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
pub(crate) async fn consume(
    mut ws: Ws,
    expect: u64,
    tab: Arc<Tab>,
    latency: bool,
) -> (Instant, Vec<u32>) {
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
pub(crate) async fn wait_received(tabs: &[Arc<Tab>], notify: &Notify, target: u64) {
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
pub(crate) async fn stream_run(
    producer: Producer,
    total: u64,
    tabs: Vec<Arc<Tab>>,
    notify: Arc<Notify>,
) {
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
