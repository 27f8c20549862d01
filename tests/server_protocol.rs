//! The wire protocol over real sockets: authentication, the golden path
//! envelopes, client mistakes and limits.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use agentwire::server::CloseCode;
use futures_util::SinkExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn golden_path_delivers_five_complete_envelopes_in_order() {
    let t = start(config()).await;
    let mut alice = Client::connect(&t.url, "alice").await;
    alice.send_message("h100 prices").await;
    let events = alice.recv_run().await;
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    let first_seq = events[0]["seq"].as_u64().unwrap();
    let run_id = events[0]["run_id"].as_str().unwrap();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            keys(e),
            [
                "agent_name",
                "event_id",
                "payload",
                "run_id",
                "seq",
                "thread_id",
                "timestamp",
                "type",
                "user_id"
            ],
            "{e}"
        );
        assert_eq!(e["seq"].as_u64().unwrap(), first_seq + i as u64);
        assert_eq!(e["user_id"], "alice");
        assert_eq!(e["thread_id"], "default");
        assert_eq!(e["run_id"], run_id);
        assert_eq!(e["agent_name"], "researcher");
        let ts = e["timestamp"].as_str().unwrap();
        assert!(
            ts.len() == 24 && ts.ends_with('Z') && &ts[19..20] == ".",
            "{ts}"
        );
    }
    let event_ids: std::collections::HashSet<_> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(event_ids.len(), 5);
    assert_eq!(keys(&events[0]["payload"]), Vec::<&str>::new());
    assert_eq!(events[1]["payload"]["reasoning"], "Reading: h100 prices");
    let exec = &events[2]["payload"];
    assert_eq!(keys(exec), ["parameters", "tool_call_id", "tool_name"]);
    assert_eq!(exec["parameters"], json!({ "q": "h100 prices" }));
    let done = &events[3]["payload"];
    assert_eq!(
        keys(done),
        [
            "execution_time_ms",
            "result",
            "status",
            "tool_call_id",
            "tool_name"
        ]
    );
    assert_eq!(done["tool_call_id"], exec["tool_call_id"]);
    assert_eq!(done["status"], "success");
    assert!(done["execution_time_ms"].is_u64());
    let end = &events[4]["payload"];
    assert_eq!(keys(end), ["execution_time_ms", "result", "status"]);
    assert_eq!(end["status"], "completed");
    assert_eq!(end["result"]["answer"], "3 offers for h100 prices");
}

#[tokio::test]
async fn a_failing_tool_fails_the_run_with_error_statuses() {
    let t = start(config()).await;
    let mut bob = Client::connect(&t.url, "bob").await;
    bob.send_message("please fail").await;
    let events = bob.recv_run().await;
    assert_eq!(events[3]["payload"]["status"], "error");
    assert_eq!(events[3]["payload"]["error"], "search refused");
    assert_eq!(events[4]["payload"]["status"], "failed");
    assert_eq!(
        events[4]["payload"]["error"],
        "could not research please fail"
    );
}

async fn handshake_status(
    url: &str,
    configure: impl FnOnce(&mut tokio_tungstenite::tungstenite::handshake::client::Request),
) -> u16 {
    let mut request = url.into_client_request().unwrap();
    configure(&mut request);
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
}

fn bearer(
    token: &str,
) -> impl FnOnce(&mut tokio_tungstenite::tungstenite::handshake::client::Request) + '_ {
    move |r| {
        r.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
    }
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(alg: Algorithm, secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401_and_good_ones_still_work() {
    let t = start(config()).await;
    let exp = now() + 600;
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(json!({ "sub": "mallory", "exp": exp })
            .to_string()
            .as_bytes())
    );
    let cases: Vec<(&str, String)> = vec![
        ("malformed", "not-a-jwt".into()),
        ("three garbage parts", "a.b.c".into()),
        (
            "bad signature",
            sign(
                Algorithm::HS256,
                "some-other-secret",
                json!({ "sub": "mallory", "exp": exp }),
            ),
        ),
        ("alg none", unsigned),
        (
            "wrong algorithm",
            sign(
                Algorithm::HS512,
                SECRET,
                json!({ "sub": "mallory", "exp": exp }),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::HS256,
                SECRET,
                json!({ "sub": "mallory", "exp": now() - 3600 }),
            ),
        ),
        (
            "no exp",
            sign(Algorithm::HS256, SECRET, json!({ "sub": "mallory" })),
        ),
        (
            "no sub",
            sign(Algorithm::HS256, SECRET, json!({ "exp": exp })),
        ),
        (
            "empty sub",
            sign(Algorithm::HS256, SECRET, json!({ "sub": "", "exp": exp })),
        ),
    ];
    for (name, token) in &cases {
        assert_eq!(handshake_status(&t.url, bearer(token)).await, 401, "{name}");
    }
    assert_eq!(handshake_status(&t.url, |_| {}).await, 401, "missing token");
    assert_eq!(
        t.server.connection_count(),
        0,
        "a refused handshake registers nothing"
    );
    let mut ok = Client::connect(&t.url, "mallory").await;
    ok.send_message("still works").await;
    assert_eq!(
        ok.recv_run().await.last().unwrap()["payload"]["status"],
        "completed"
    );
}

#[tokio::test]
async fn browsers_authenticate_with_the_subprotocol_pair_and_the_token_is_not_echoed() {
    let t = start(config()).await;
    let mut request = t.url.as_str().into_client_request().unwrap();
    let offered = format!("agentwire.v1, bearer.{}", token("carol"));
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_str(&offered).unwrap(),
    );
    let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    let selected: Vec<_> = response
        .headers()
        .get_all("Sec-WebSocket-Protocol")
        .iter()
        .collect();
    assert_eq!(selected, ["agentwire.v1"]);
    let all_headers = format!("{:?}", response.headers());
    assert!(!all_headers.contains("bearer."), "{all_headers}");
    let mut carol = Client::established(ws, "carol").await;
    carol.send_message("from a browser").await;
    assert_eq!(carol.recv_run().await.len(), 5);

    // A bad token in the subprotocol is refused like a bad header.
    let status = handshake_status(&t.url, |r| {
        r.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("agentwire.v1, bearer.x.y.z"),
        );
    })
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn origin_allow_list_and_wrong_path() {
    let t = start(config().allowed_origins(["https://app.example.com"])).await;
    let tok = token("dave");
    let with_origin = |origin: &'static str| {
        let tok = tok.clone();
        move |r: &mut tokio_tungstenite::tungstenite::handshake::client::Request| {
            r.headers_mut()
                .insert("Origin", HeaderValue::from_static(origin));
            r.headers_mut().insert(
                "Authorization",
                HeaderValue::from_str(&format!("Bearer {tok}")).unwrap(),
            );
        }
    };
    assert_eq!(
        handshake_status(&t.url, with_origin("https://evil.example.com")).await,
        403
    );
    assert_eq!(
        handshake_status(&t.url, with_origin("https://app.example.com")).await,
        101
    );
    let wrong_path = t.url.replace("/ws", "/socket");
    assert_eq!(handshake_status(&wrong_path, bearer(&tok)).await, 404);
}

#[tokio::test]
async fn client_mistakes_get_error_frames_and_the_connection_stays_usable() {
    let t = start(config()).await;
    let mut c = Client::connect(&t.url, "erin").await;
    let cases = [
        ("{not json".to_owned(), "invalid_json"),
        (json!({ "type": "dance" }).to_string(), "unknown_type"),
        (
            json!({ "type": "user_message" }).to_string(),
            "invalid_payload",
        ),
        (
            json!({ "type": "user_message", "payload": { "content": 42 } }).to_string(),
            "invalid_payload",
        ),
        (
            json!({ "type": "user_message", "payload": { "content": "x", "agent": "nobody" } })
                .to_string(),
            "unknown_agent",
        ),
    ];
    for (frame, code) in cases {
        c.ws.send(Message::text(frame.clone())).await.unwrap();
        let reply = c.recv().await;
        assert_eq!(reply["type"], "error", "{frame}");
        assert_eq!(reply["payload"]["code"], code, "{frame}");
        assert!(reply["payload"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    c.send(json!({ "type": "ping" })).await;
    assert_eq!(c.recv().await, json!({ "type": "pong" }));
    c.send_message("after the mistakes").await;
    let events = c.recv_run().await;
    assert_eq!(events.last().unwrap()["payload"]["status"], "completed");
}

#[tokio::test]
async fn an_oversized_message_closes_with_1009() {
    let t = start(config()).await;
    let mut c = Client::connect(&t.url, "frank").await;
    let big = "x".repeat(70 * 1024);
    c.send_message(&big).await;
    let (_, close) = c.recv_close().await;
    assert_eq!(u16::from(close.expect("a close frame").code), 1009);
}

#[tokio::test]
async fn a_flood_of_messages_is_rate_limited() {
    let t = start(config().rate_limit(5, 5)).await;
    let mut c = Client::connect(&t.url, "gina").await;
    for _ in 0..50 {
        if c.ws
            .send(Message::text(json!({ "type": "ping" }).to_string()))
            .await
            .is_err()
        {
            break;
        }
    }
    let (before, close) = c.recv_close().await;
    assert!(
        before.len() <= 5,
        "{} replies before the close",
        before.len()
    );
    assert_eq!(
        u16::from(close.expect("a close frame").code),
        CloseCode::RateLimited.code()
    );
}

#[tokio::test]
async fn the_connection_over_the_per_user_cap_is_closed() {
    let t = start(config().max_connections_per_user(2)).await;
    let _a = Client::connect(&t.url, "hank").await;
    let _b = Client::connect(&t.url, "hank").await;
    let mut request = t.url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {}", token("hank"))).unwrap(),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut third = Client {
        ws,
        user: "hank".into(),
        connection_id: String::new(),
    };
    let (before, close) = third.recv_close().await;
    assert!(before.is_empty());
    assert_eq!(
        u16::from(close.expect("a close frame").code),
        CloseCode::OverConnectionCap.code()
    );
    // Another user is not affected by hank's cap.
    let _other = Client::connect(&t.url, "ivy").await;
}

#[tokio::test]
async fn a_panicking_handler_fails_its_run_and_the_server_keeps_serving() {
    let t = start(config()).await;
    let mut c = Client::connect(&t.url, "jack").await;
    c.send_to("panicker", "boom").await;
    let events = c.recv_run().await;
    assert_eq!(
        types(&events),
        ["agent_started", "agent_thinking", "agent_completed"]
    );
    assert_eq!(events[2]["payload"]["status"], "failed");
    assert!(events[2]["payload"]["error"]
        .as_str()
        .unwrap()
        .contains("handler exploded"));
    c.send_message("next").await;
    assert_eq!(
        c.recv_run().await.last().unwrap()["payload"]["status"],
        "completed"
    );
    let mut other = Client::connect(&t.url, "kate").await;
    other.send_message("unaffected").await;
    assert_eq!(other.recv_run().await.len(), 5);
}

#[tokio::test]
async fn reconnecting_with_since_replays_what_was_missed() {
    let t = start(config()).await;
    let mut c = Client::connect(&t.url, "lena").await;
    c.send_message("first").await;
    let first = c.recv_run().await;
    let last_seen = first[1]["seq"].as_u64().unwrap();
    drop(c);
    let mut request = format!("{}?since={last_seen}", t.url)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {}", token("lena"))).unwrap(),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut again = Client::established(ws, "lena").await;
    let replayed = again.recv_run().await;
    assert_eq!(replayed, first[2..].to_vec());
}
