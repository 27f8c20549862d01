//! agentwire's metrics, scraped from the axum example's `/metrics` after a
//! scripted scenario over real sockets: the counts are exact, because this
//! binary is the only user of its process's recorder.
//!
//! `cargo test --features metrics --test metrics`

#[path = "../examples/common/axum_app.rs"]
mod app;
#[path = "../examples/common/mod.rs"]
mod common;
mod support;

use std::net::SocketAddr;

use agentwire::server::{JwtAuth, ServerConfig};
use agentwire::Hub;
use serde_json::json;
use support::{status_of, Client, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn get(addr: SocketAddr, path: &str, headers: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("an HTTP answer")
        .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (status_of(head), body.to_owned())
}

/// The value of the sample `name` whose labels include every one of
/// `labels`; 0 when there is none.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
        if metric != name {
            continue;
        }
        if labels
            .iter()
            .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        {
            assert!(found.is_none(), "two samples of {name} {labels:?}:\n{text}");
            found = Some(value.parse::<f64>().unwrap());
        }
    }
    found.unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_a_scripted_scenario() {
    app::install_metrics();
    let secret = "metrics-test-secret";
    let auth = JwtAuth::hs256(secret).unwrap();
    let hub = Hub::builder()
        .agent(common::researcher)
        .agent(support::sleeper)
        .build()
        .unwrap();
    let config = ServerConfig::new(auth.clone()).max_runs_per_user(1);
    let (router, _ws) = app::app(hub, config, auth).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let url = format!("ws://{addr}/ws");

    // A refused handshake: no token.
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    let (status, _) = get(addr, "/ws", upgrade).await;
    assert_eq!(status, 401);

    // The golden path: one run of the researcher.
    let mut alice = support_client(&url, "alice", secret).await;
    alice.send_message("h100 prices").await;
    let run = alice.recv_run().await;
    assert_eq!(run.last().unwrap()["payload"]["status"], "completed");

    // A run cancelled by the client, and a message over the run cap.
    alice.send_to("sleeper", "wait").await;
    let started = alice.recv().await;
    let run_id = started["run_id"].as_str().unwrap().to_owned();
    assert_eq!(alice.recv().await["type"], "tool_executing");
    alice.send_message("one too many").await;
    let refused = alice.recv().await;
    assert_eq!(refused["payload"]["code"], "too_many_runs");
    alice
        .send(json!({"type": "cancel_run", "payload": {"run_id": run_id}}))
        .await;
    assert_eq!(
        alice.recv_run().await.last().unwrap()["payload"]["status"],
        "cancelled"
    );

    // A second tab resumes from where the first is: recovered.
    let (status, text) = get(addr, "/metrics", "").await;
    assert_eq!(status, 200);
    let seq = run.last().unwrap()["seq"].as_u64().unwrap();
    let epoch = run_epoch(&url, secret).await;
    let query = format!("since={seq}&epoch={epoch}");
    let (_tab2, hello) = support_client_query(&url, "alice", secret, &query).await;
    assert_eq!(hello["recovered"], true);

    // alice's first tab and the resumed one; the probe's close may still
    // be finishing on the server.
    let deadline = tokio::time::Instant::now() + WAIT;
    let text2 = loop {
        let (status, text2) = get(addr, "/metrics", "").await;
        assert_eq!(status, 200);
        if sample(&text2, "agentwire_connections_open", &[]) == 2.0
            || tokio::time::Instant::now() > deadline
        {
            break text2;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let m = |name: &str, labels: &[(&str, &str)]| sample(&text2, name, labels);
    assert_eq!(
        m(
            "agentwire_handshakes_refused_total",
            &[("reason", "unauthorized")]
        ),
        1.0
    );
    assert_eq!(
        m("agentwire_runs_started_total", &[("agent", "researcher")]),
        1.0
    );
    assert_eq!(
        m("agentwire_runs_started_total", &[("agent", "sleeper")]),
        1.0
    );
    assert_eq!(
        m(
            "agentwire_runs_ended_total",
            &[("agent", "researcher"), ("status", "completed")]
        ),
        1.0
    );
    assert_eq!(
        m(
            "agentwire_runs_ended_total",
            &[("agent", "sleeper"), ("status", "cancelled")]
        ),
        1.0
    );
    assert_eq!(
        m(
            "agentwire_runs_cancelled_total",
            &[("agent", "sleeper"), ("reason", "client")]
        ),
        1.0
    );
    assert_eq!(
        m("agentwire_runs_refused_total", &[("reason", "run_cap")]),
        1.0
    );
    assert_eq!(
        m(
            "agentwire_run_duration_seconds_count",
            &[("agent", "researcher"), ("status", "completed")]
        ),
        1.0
    );
    assert_eq!(
        m(
            "agentwire_tool_calls_total",
            &[("agent", "researcher"), ("status", "success")]
        ),
        1.0
    );
    assert_eq!(
        m(
            "agentwire_tool_calls_total",
            &[("agent", "sleeper"), ("status", "cancelled")]
        ),
        1.0
    );
    // researcher: started, 2 thinking, executing, completed, completed;
    // sleeper: started, executing, completed, completed.
    assert_eq!(
        m(
            "agentwire_events_emitted_total",
            &[("type", "agent_started")]
        ),
        2.0
    );
    assert_eq!(
        m(
            "agentwire_events_emitted_total",
            &[("type", "agent_thinking")]
        ),
        2.0
    );
    assert_eq!(
        m(
            "agentwire_events_emitted_total",
            &[("type", "tool_completed")]
        ),
        2.0
    );
    assert_eq!(
        m(
            "agentwire_events_emitted_total",
            &[("type", "agent_completed")]
        ),
        2.0
    );
    assert_eq!(
        m(
            "agentwire_replay_requests_total",
            &[("outcome", "recovered")]
        ),
        1.0
    );
    assert_eq!(m("agentwire_connections_open", &[]), 2.0);
    assert_eq!(
        m(
            "agentwire_connections_closed_total",
            &[("reason", "normal")]
        ),
        1.0
    );
    assert_eq!(m("agentwire_handler_panics_total", &[]), 0.0);
    assert!(m("agentwire_bytes_written_total", &[]) > 1000.0);
    // The first scrape saw fewer bytes: the counter moves.
    assert!(sample(&text, "agentwire_bytes_written_total", &[]) > 0.0);
    // Help texts are registered, and no user id or token is ever a label.
    assert!(
        text2.contains("# HELP agentwire_runs_started_total"),
        "{text2}"
    );
    assert!(!text2.contains("alice"), "{text2}");
    assert!(!text2.contains("eyJ"), "{text2}");
}

async fn support_client(url: &str, user: &str, secret: &str) -> Client {
    support_client_query(url, user, secret, "").await.0
}

/// A tab of `user` with a token signed with `secret`, and its hello payload.
async fn support_client_query(
    url: &str,
    user: &str,
    secret: &str,
    query: &str,
) -> (Client, serde_json::Value) {
    let token = JwtAuth::hs256(secret)
        .unwrap()
        .issue(
            &agentwire::UserId::new(user).unwrap(),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    Client::connect_with(url, user, &token, query).await
}

/// The epoch of alice's stream, from a tab opened and closed again.
async fn run_epoch(url: &str, secret: &str) -> String {
    let (mut tab, hello) = support_client_query(url, "alice", secret, "").await;
    let _ = tab.ws.close(None).await;
    let _ = tab.recv_close().await;
    hello["epoch"].as_str().unwrap().to_owned()
}
