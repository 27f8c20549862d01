//! Two server nodes on one Redis, one user with a tab on each.
//!
//! `cargo run --example cluster --features redis` starts a throwaway
//! `redis-server` (if one is on PATH; persistence off, stopped at the end),
//! or uses `--redis redis://HOST:PORT`. It starts two agentwire nodes on
//! loopback that share the user's stream through Redis, opens one tab on
//! each node, has the tab on node A send a message, and prints what both
//! tabs receive: the same events, with the same `seq`, in the same order.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use agentwire::server::{JwtAuth, ServerConfig};
use agentwire::{Hub, UserId};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A `redis-server` this example started; stopped when dropped.
struct OwnRedis(Child);

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> Result<(String, OwnRedis), BoxError> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("could not start redis-server ({e}); install it (apt-get install redis-server) or pass --redis URL")
        })?;
    let server = OwnRedis(child);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if std::time::Instant::now() > deadline {
            return Err("redis-server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((format!("redis://127.0.0.1:{port}"), server))
}

async fn tab(url: &str, token: &str) -> Result<common_ws::Ws, BoxError> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    // connection_established
    ws.next().await.ok_or("closed before hello")??;
    Ok(ws)
}

mod common_ws {
    pub type Ws = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;
}

/// Prints events until `agent_completed`; returns their `seq`s.
async fn follow(mut ws: common_ws::Ws, label: &str) -> Result<Vec<u64>, BoxError> {
    let mut seqs = Vec::new();
    while let Some(frame) = ws.next().await {
        let Message::Text(text) = frame? else {
            continue;
        };
        let event: Value = serde_json::from_str(text.as_str())?;
        println!("{:<10}{}", format!("[{label}]"), common::describe(&event));
        if let Some(seq) = event["seq"].as_u64() {
            seqs.push(seq);
        }
        if event["type"] == "agent_completed" {
            return Ok(seqs);
        }
    }
    Err("the tab closed before the run completed".into())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--redis" => url = Some(args.next().ok_or("--redis needs a URL")?),
            other => {
                return Err(
                    format!("unknown argument `{other}`; usage: cluster [--redis URL]").into(),
                )
            }
        }
    }
    let (url, _own) = match url {
        Some(url) => (url, None),
        None => {
            let (url, own) = start_redis()?;
            (url, Some(own))
        }
    };
    println!("Redis: {url}");
    let secret = "cluster-example-secret";
    let mut nodes = Vec::new();
    for name in ["A", "B"] {
        let hub = Hub::builder()
            .agent(common::researcher)
            .redis(url.as_str())
            .build()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let server = hub
            .serve(listener, ServerConfig::new(JwtAuth::hs256(secret)?))
            .await?;
        println!("node {name}: ws://{}/ws", server.local_addr());
        nodes.push(server);
    }
    let token = JwtAuth::hs256(secret)?.issue(&UserId::new("alice")?, Duration::from_secs(300))?;
    let mut on_a = tab(&format!("ws://{}/ws", nodes[0].local_addr()), &token).await?;
    let on_b = tab(&format!("ws://{}/ws", nodes[1].local_addr()), &token).await?;
    let message = json!({ "type": "user_message", "payload": { "content": "compare GPU prices" } });
    on_a.send(Message::text(message.to_string())).await?;
    let reader_b = tokio::spawn(async move { follow(on_b, "tab on B").await });
    let seqs_a = follow(on_a, "tab on A").await?;
    let seqs_b = reader_b.await??;
    if seqs_a != seqs_b {
        return Err(format!("the tabs differ: {seqs_a:?} and {seqs_b:?}").into());
    }
    println!("both tabs received the run from node A: seq {seqs_a:?}");
    for node in nodes {
        node.shutdown().await;
    }
    Ok(())
}
