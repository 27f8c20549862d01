//! agentwire mounted in an axum app (the app of `examples/axum_app.rs`):
//! REST and WebSocket on one port, real sockets on loopback, real JWTs.

#[path = "../examples/common/axum_app.rs"]
mod app;
#[path = "../examples/common/mod.rs"]
mod common;
mod support;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use agentwire::prelude::*;
use agentwire::server::{JwtAuth, ServerConfig, WsService};
use futures_util::StreamExt;
use serde_json::{json, Value};
use support::{types, Client, Ws, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

const SECRET: &str = "axum-app-test-secret";

/// Opens a tool call and never finishes it: only cancellation ends the run.
#[agent(name = "waiter")]
async fn waiter(run: &Run, _msg: UserMessage) -> Result<Value, AgentError> {
    let _call = emit!(
        run,
        tool_executing {
            tool_name: "wait_forever"
        }
    );
    std::future::pending::<()>().await;
    Ok(Value::Null)
}

/// The app served on loopback, as `examples/axum_app.rs` serves it, with a
/// channel in place of the process signal.
struct TestApp {
    addr: SocketAddr,
    ws: WsService,
    stop: Option<oneshot::Sender<()>>,
    served: JoinHandle<io::Result<()>>,
}

async fn start() -> TestApp {
    let auth = JwtAuth::hs256(SECRET).unwrap();
    // researcher first: a user_message naming no agent runs it.
    let hub = Hub::builder()
        .agent(common::researcher)
        .agent(waiter)
        .build()
        .unwrap();
    let (router, ws) = app::app(hub, ServerConfig::new(auth.clone()), auth).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(app::serve(listener, router, ws.clone(), async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        ws,
        stop: Some(stop),
        served,
    }
}

struct HttpResponse {
    status: u16,
    head: String,
    body: String,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.head, self.body))
    }
}

/// One HTTP/1.1 request over a fresh TCP connection (`Connection: close`),
/// read to the end.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("timed out waiting for an HTTP answer")
        .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head: {raw:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {head}"));
    let response = HttpResponse {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    };
    assert!(
        response.header("transfer-encoding").is_none(),
        "this reader expects a Content-Length body: {head}"
    );
    response
}

async fn health(addr: SocketAddr) -> Value {
    let res = http(addr, "GET", "/api/health", "", "").await;
    assert_eq!(res.status, 200, "{}\n{}", res.head, res.body);
    res.json()
}

/// A token from the app's REST route.
async fn token_for(addr: SocketAddr, user: &str) -> String {
    let body = json!({ "user": user }).to_string();
    let res = http(
        addr,
        "POST",
        "/api/token",
        "Content-Type: application/json\r\n",
        &body,
    )
    .await;
    assert_eq!(res.status, 200, "{}\n{}", res.head, res.body);
    let json = res.json();
    assert_eq!(json["user"], user);
    assert_eq!(json["expires_in"], app::TOKEN_TTL.as_secs());
    json["token"].as_str().unwrap().to_owned()
}

/// The status of a WebSocket handshake at `/ws` with `extra` header lines.
async fn handshake_status(addr: SocketAddr, extra: &str) -> (u16, HttpResponse) {
    let headers = format!(
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n{extra}"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /ws HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("timed out waiting for the handshake answer")
        .unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        HttpResponse {
            status,
            head: head.to_owned(),
            body: body.to_owned(),
        },
    )
}

/// One browser tab: the suite's client, and the `seq` of its
/// `connection_established` (the stream's latest event).
struct Tab {
    client: Client,
    seq: u64,
}

impl Tab {
    /// Connects to `/ws` with `Authorization: Bearer`.
    async fn bearer(addr: SocketAddr, user: &str, token: &str) -> Tab {
        let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Tab::established(ws, user).await
    }

    /// Connects to `/ws` as a browser does: the subprotocol pair.
    async fn subprotocol(addr: SocketAddr, user: &str, token: &str) -> Tab {
        let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(&format!("agentwire.v1, bearer.{token}")).unwrap(),
        );
        let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        let selected: Vec<_> = response
            .headers()
            .get_all("Sec-WebSocket-Protocol")
            .iter()
            .collect();
        assert_eq!(selected, ["agentwire.v1"], "the token is never echoed");
        Tab::established(ws, user).await
    }

    async fn established(ws: Ws, user: &str) -> Tab {
        let (client, hello) = Client::hello(ws, user).await;
        assert!(hello["connection_id"].is_string(), "{hello}");
        let seq = hello["seq"].as_u64().unwrap();
        Tab { client, seq }
    }

    async fn send(&mut self, value: Value) {
        self.client.send(value).await;
    }

    async fn recv(&mut self) -> Value {
        self.client.recv().await
    }

    async fn recv_run(&mut self) -> Vec<Value> {
        self.client.recv_run().await
    }

    /// The text frames up to the server's close frame, and that frame. Then
    /// reads on, as a browser does, so that the close is answered, until the
    /// server drops the connection.
    async fn recv_close(&mut self) -> (Vec<Value>, Option<CloseFrame>) {
        let (before, close) = self.client.recv_close().await;
        if close.is_some() {
            // tungstenite sends its answer to the close on the next read.
            while let Some(Ok(_)) = tokio::time::timeout(WAIT, self.client.ws.next())
                .await
                .expect("the server kept the connection open after closing")
            {}
        }
        (before, close)
    }
}

/// The `seq`s of `events` follow `after` with no gap.
fn assert_gap_free(events: &[Value], after: u64) {
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["seq"].as_u64(), Some(after + 1 + i as u64), "{event}");
    }
}

/// One golden-path run of the demo researcher, checked event by event.
async fn golden_run(tab: &mut Tab, user: &str, content: &str) -> u64 {
    tab.send(json!({ "type": "user_message", "payload": { "content": content } }))
        .await;
    let events = tab.recv_run().await;
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_thinking",
            "agent_completed",
        ]
    );
    assert_gap_free(&events, tab.seq);
    let run_id = &events[0]["run_id"];
    assert!(run_id.is_string());
    for event in &events {
        assert_eq!(event["user_id"], user, "{event}");
        assert_eq!(event["agent_name"], "researcher", "{event}");
        assert_eq!(&event["run_id"], run_id, "{event}");
    }
    assert_eq!(events[2]["payload"]["tool_name"], "search");
    assert_eq!(events[2]["payload"]["parameters"], json!({ "q": content }));
    assert_eq!(
        events[3]["payload"]["tool_call_id"],
        events[2]["payload"]["tool_call_id"]
    );
    assert_eq!(events[3]["payload"]["status"], "success");
    let done = &events[5]["payload"];
    assert_eq!(done["status"], "completed", "{done}");
    assert!(
        done["result"]["answer"]
            .as_str()
            .is_some_and(|a| a.contains(content)),
        "{done}"
    );
    events.last().unwrap()["seq"].as_u64().unwrap()
}

#[tokio::test]
async fn rest_and_websocket_on_one_port() {
    let t = start().await;

    let h = health(t.addr).await;
    assert_eq!(h["status"], "ok");
    assert_eq!(h["agents"], json!(["researcher", "waiter"]));
    assert_eq!(h["connections"], 0);
    assert_eq!(h["active_runs"], 0);

    // The router's CORS layer answers for the REST routes.
    let cors = http(
        t.addr,
        "GET",
        "/api/health",
        "Origin: https://app.example.com\r\n",
        "",
    )
    .await;
    assert_eq!(cors.status, 200);
    assert_eq!(cors.header("access-control-allow-origin"), Some("*"));
    let preflight = http(
        t.addr,
        "OPTIONS",
        "/api/token",
        "Origin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\n\
         Access-Control-Request-Headers: content-type\r\n",
        "",
    )
    .await;
    assert_eq!(preflight.status, 200, "{}", preflight.head);
    assert!(preflight
        .header("access-control-allow-methods")
        .is_some_and(|m| m.contains("POST")));

    // A token from REST opens a tab at /ws on the same port.
    let token = token_for(t.addr, "alice").await;
    let mut tab = Tab::bearer(t.addr, "alice", &token).await;
    assert_eq!(tab.seq, 0, "a new user's stream starts empty");
    assert_eq!(health(t.addr).await["connections"], 1);
    let last = golden_run(&mut tab, "alice", "find GPU prices").await;
    tab.client.ws.close(None).await.unwrap();

    // And once more as a browser authenticates: the subprotocol pair.
    let mut tab = Tab::subprotocol(t.addr, "alice", &token).await;
    assert_eq!(tab.seq, last, "the stream goes on across connections");
    golden_run(&mut tab, "alice", "compare H100 offers").await;
    tab.client.ws.close(None).await.unwrap();

    // Closed tabs leave the endpoint's count.
    let deadline = tokio::time::Instant::now() + WAIT;
    while health(t.addr).await["connections"] != 0 {
        assert!(tokio::time::Instant::now() < deadline, "tabs still counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The token route refuses an invalid user id with a JSON error.
    let bad = http(
        t.addr,
        "POST",
        "/api/token",
        "Content-Type: application/json\r\n",
        r#"{"user":""}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].is_string());
}

#[tokio::test]
async fn the_mounted_endpoint_answers_bad_handshakes_over_http() {
    let t = start().await;

    // Signed with another secret: a real JWT, but not ours.
    let forged = JwtAuth::hs256("some other secret")
        .unwrap()
        .issue(&UserId::new("alice").unwrap(), Duration::from_secs(600))
        .unwrap();
    let (status, res) =
        handshake_status(t.addr, &format!("Authorization: Bearer {forged}\r\n")).await;
    assert_eq!(status, 401, "{}\n{}", res.head, res.body);
    let (status, _) = handshake_status(t.addr, "Authorization: Bearer not.a.jwt\r\n").await;
    assert_eq!(status, 401);
    let (status, _) = handshake_status(
        t.addr,
        &format!("Sec-WebSocket-Protocol: agentwire.v1, bearer.{forged}\r\n"),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = handshake_status(t.addr, "").await;
    assert_eq!(status, 401, "no credentials");

    // Not a WebSocket handshake at all.
    let plain = http(t.addr, "GET", "/ws", "", "").await;
    assert_eq!(plain.status, 426, "{}", plain.head);
    assert_eq!(plain.header("sec-websocket-version"), Some("13"));
    let post = http(t.addr, "POST", "/ws", "", "").await;
    assert_eq!(post.status, 405, "{}", post.head);

    // The app goes on serving both sides.
    assert_eq!(health(t.addr).await["status"], "ok");
    let token = token_for(t.addr, "bob").await;
    let mut tab = Tab::bearer(t.addr, "bob", &token).await;
    golden_run(&mut tab, "bob", "still works").await;
}

#[tokio::test]
async fn shutdown_ends_runs_closes_tabs_and_stops_the_server() {
    let mut t = start().await;
    let token = token_for(t.addr, "carol").await;
    let mut tab = Tab::bearer(t.addr, "carol", &token).await;
    let mut other = Tab::subprotocol(t.addr, "carol", &token).await;

    tab.send(
        json!({ "type": "user_message", "payload": { "content": "wait", "agent": "waiter" } }),
    )
    .await;
    let started = vec![tab.recv().await, tab.recv().await];
    assert_eq!(types(&started), ["agent_started", "tool_executing"]);
    assert_eq!(started[0]["agent_name"], "waiter");
    assert_eq!(t.ws.active_runs(), 1);
    assert_eq!(health(t.addr).await["active_runs"], 1);

    // The app's signal: agentwire's shutdown, then axum's.
    t.stop.take().unwrap().send(()).unwrap();

    // Both tabs: the run ends with its terminal events, then 1001.
    for (tab, read) in [(&mut tab, started.clone()), (&mut other, Vec::new())] {
        let (events, close) = tab.recv_close().await;
        let events: Vec<Value> = read.into_iter().chain(events).collect();
        assert_eq!(
            types(&events),
            [
                "agent_started",
                "tool_executing",
                "tool_completed",
                "agent_completed"
            ],
            "{events:?}"
        );
        assert_gap_free(&events, tab.seq);
        assert_eq!(events[2]["payload"]["tool_name"], "wait_forever");
        assert_eq!(events[2]["payload"]["status"], "cancelled");
        assert_eq!(events[3]["payload"]["status"], "cancelled");
        assert_eq!(events[3]["run_id"], started[0]["run_id"]);
        let close = close.expect("a close frame");
        assert_eq!(u16::from(close.code), 1001, "{close:?}");
    }

    // axum's server future finishes: the upgraded connections do not hold it.
    let served = tokio::time::timeout(WAIT, &mut t.served)
        .await
        .expect("the axum server did not stop")
        .expect("the server task panicked");
    served.expect("axum::serve failed");
    assert_eq!(t.ws.active_runs(), 0);
    assert_eq!(t.ws.connection_count(), 0);
    assert!(
        TcpStream::connect(t.addr).await.is_err(),
        "the listener is closed"
    );
}
