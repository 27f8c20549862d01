//! The Server-Sent Events endpoint end to end: a real server on loopback,
//! real JWTs, HTTP/1.1 over raw TCP, and WebSocket tabs beside it.

mod support;

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::server::ServerConfig;
use serde_json::{json, Value};
use support::*;

fn message(content: &str) -> Value {
    json!({ "type": "user_message", "payload": { "content": content } })
}

/// Opens alice's (or `user`'s) stream and reads `connection_established`.
async fn open(addr: &str, user: &str, extra: &str, query: &str) -> (HttpStream, Value, String) {
    let path = if query.is_empty() {
        "/events".to_owned()
    } else {
        format!("/events?{query}")
    };
    let mut stream = HttpStream::get(addr, &path, &format!("{}{extra}", bearer_line(user))).await;
    assert_eq!(stream.status, 200, "{}", stream.head);
    assert_eq!(
        stream.header("content-type").as_deref(),
        Some("text/event-stream")
    );
    let hello = stream.next_event().await;
    let json = hello.json();
    assert_eq!(json["type"], "connection_established", "{json}");
    assert_eq!(json["payload"]["user_id"], user);
    (stream, json["payload"].clone(), hello.id.unwrap())
}

async fn post(addr: &str, user: &str, body: &Value) -> (u16, Value) {
    let mut resp = HttpStream::post(addr, "/events", &bearer_line(user), body).await;
    let status = resp.status;
    (status, resp.json().await)
}

fn seq_of(event: &SseEvent) -> u64 {
    event.json()["seq"].as_u64().unwrap()
}

#[tokio::test]
async fn a_posted_run_streams_in_order_with_ids_to_sse_and_websocket_tabs() {
    let t = start(config()).await;
    let addr = addr(&t);
    let (mut sse, hello, hello_id) = open(&addr, "alice", "", "").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    assert_eq!(hello_id, format!("{epoch}.0"));
    let mut tab = Client::connect(&t.url, "alice").await;
    let (mut bob, _, _) = open(&addr, "bob", "", "").await;

    let (status, answer) = post(&addr, "alice", &message("find GPU prices")).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer, json!({ "type": "accepted" }));

    let run = sse.next_run().await;
    let over_ws = tab.recv_run().await;
    assert_eq!(
        run.iter()
            .map(|e| e.json()["type"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        [
            "agent_started",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    for (i, (event, ws)) in run.iter().zip(&over_ws).enumerate() {
        let seq = i as u64 + 1;
        assert_eq!(event.id.as_deref(), Some(format!("{epoch}.{seq}").as_str()));
        assert_eq!(seq_of(event), seq);
        assert_eq!(event.event, None, "envelopes are plain `message` events");
        // The same bytes as the WebSocket tab's frames.
        assert_eq!(&event.json(), ws);
    }
    assert_eq!(run[0].json()["user_id"], "alice");

    // Bob saw none of it: his first event is his own run's, with seq 1.
    let (status, _) = post(&addr, "bob", &message("bob's question")).await;
    assert_eq!(status, 202);
    let first = bob.next_event().await.json();
    assert_eq!(first["user_id"], "bob");
    assert_eq!(first["seq"], 1);
    drop(tab);
    t.server.shutdown().await;
}

#[tokio::test]
async fn last_event_id_resumes_exactly_and_a_stale_epoch_starts_over() {
    let t = start(config()).await;
    let addr = addr(&t);
    let (mut sse, hello, _) = open(&addr, "alice", "", "").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    post(&addr, "alice", &message("one")).await;
    let first = sse.next_run().await;
    drop(sse);
    // While away: a second run.
    let mut tab = Client::connect(&t.url, "alice").await;
    post(&addr, "alice", &message("two")).await;
    tab.recv_run().await;

    // Resume from the third event of the first run: the rest of it and the
    // whole second run, exactly, in order.
    let last = first[2].id.clone().unwrap();
    let (mut resumed, hello, hello_id) =
        open(&addr, "alice", &format!("Last-Event-ID: {last}\r\n"), "").await;
    assert_eq!(hello["recovered"], true, "{hello}");
    assert_eq!(hello["missed"], 7);
    assert_eq!(hello["seq"], 10);
    // The hello stands where the client is, so that a reconnect during
    // the replay loses nothing.
    assert_eq!(hello_id, last);
    for seq in 4..=10 {
        let event = resumed.next_event().await;
        assert_eq!(event.id, Some(format!("{epoch}.{seq}")));
        assert_eq!(seq_of(&event), seq);
    }

    // The same resume in the URL, as after a manual reconnect.
    let (mut by_query, hello, _) =
        open(&addr, "alice", "", &format!("since=8&epoch={epoch}")).await;
    assert_eq!(hello["recovered"], true);
    assert_eq!(seq_of(&by_query.next_event().await), 9);
    assert_eq!(seq_of(&by_query.next_event().await), 10);

    // Another stream's epoch: told so, and nothing is replayed.
    let (mut stale, hello, hello_id) =
        open(&addr, "alice", "Last-Event-ID: epoch-from-before.3\r\n", "").await;
    assert_eq!(hello["recovered"], false, "{hello}");
    assert_eq!(hello_id, format!("{epoch}.10"));
    post(&addr, "alice", &message("three")).await;
    let next = stale.next_event().await;
    assert_eq!(seq_of(&next), 11, "live events only");
    drop(tab);

    // A malformed id is a 400 that says what an id is.
    let mut bad = HttpStream::get(
        &addr,
        "/events",
        &format!("{}Last-Event-ID: 12\r\n", bearer_line("alice")),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body().await.contains("<epoch>.<seq>"));
    t.server.shutdown().await;
}

#[tokio::test]
async fn a_gap_wider_than_the_replay_buffer_is_not_recovered() {
    let hub = Hub::builder()
        .agent(researcher)
        .replay_capacity(3)
        .build()
        .unwrap();
    let t = start_hub(hub, config()).await;
    let addr = addr(&t);
    let (mut sse, hello, _) = open(&addr, "alice", "", "").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    post(&addr, "alice", &message("one")).await;
    sse.next_run().await;
    let (mut late, hello, _) =
        open(&addr, "alice", &format!("Last-Event-ID: {epoch}.1\r\n"), "").await;
    assert_eq!(hello["recovered"], false, "{hello}");
    assert_eq!(hello["missed"], 4);
    post(&addr, "alice", &message("two")).await;
    assert_eq!(seq_of(&late.next_event().await), 6, "no partial replay");
    t.server.shutdown().await;
}

#[tokio::test]
async fn refused_credentials_get_401_with_what_to_fix() {
    let t = start(config()).await;
    let addr = addr(&t);
    let auth = auth();
    let alice = UserId::new("alice").unwrap();
    let status_and_body = |path: String, extra: String| {
        let addr = addr.clone();
        async move {
            let mut resp = HttpStream::get(&addr, &path, &extra).await;
            let status = resp.status;
            let challenge = resp.header("www-authenticate");
            (status, resp.body().await, challenge)
        }
    };

    let (status, body, challenge) = status_and_body("/events".into(), String::new()).await;
    assert_eq!(status, 401);
    assert!(
        body.contains("no token") && body.contains("?token="),
        "{body}"
    );
    assert_eq!(challenge.as_deref(), Some("Bearer"));

    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({ "sub": "alice", "exp": 1_000_000 }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let (status, body, _) = status_and_body(
        "/events".into(),
        format!("Authorization: Bearer {expired}\r\n"),
    )
    .await;
    assert_eq!(status, 401);
    assert!(body.contains("expired"), "{body}");

    let foreign = agentwire::server::JwtAuth::hs256("another secret")
        .unwrap()
        .issue(&alice, Duration::from_secs(60))
        .unwrap();
    let (status, body, _) =
        status_and_body(format!("/events?token={foreign}"), String::new()).await;
    assert_eq!(status, 401);
    assert!(body.contains("signature"), "{body}");

    // A token in the URL must be short-lived...
    let long = auth.issue(&alice, Duration::from_secs(3600)).unwrap();
    let (status, body, _) = status_and_body(format!("/events?token={long}"), String::new()).await;
    assert_eq!(status, 401);
    assert!(body.contains("must expire within 300 s"), "{body}");
    // ...and one that is opens the stream.
    let short = auth.issue(&alice, Duration::from_secs(120)).unwrap();
    let mut ok = HttpStream::get(&addr, &format!("/events?token={short}"), "").await;
    assert_eq!(ok.status, 200, "{}", ok.head);
    assert_eq!(ok.next_event().await.json()["payload"]["user_id"], "alice");

    // Both a header and a URL token: one method only.
    let (status, _, _) =
        status_and_body(format!("/events?token={short}"), bearer_line("alice")).await;
    assert_eq!(status, 400);

    // A `POST` takes the header only.
    let mut post =
        HttpStream::post(&addr, &format!("/events?token={short}"), "", &message("hi")).await;
    assert_eq!(post.status, 401);
    assert!(post.body().await.contains("Authorization"));
    t.server.shutdown().await;
}

#[tokio::test]
async fn the_connection_cap_counts_websocket_and_sse_connections_together() {
    let t = start(config().max_connections_per_user(2)).await;
    let addr = addr(&t);
    let tab = Client::connect(&t.url, "alice").await;
    let (sse, _, _) = open(&addr, "alice", "", "").await;
    let mut third = HttpStream::get(&addr, "/events", &bearer_line("alice")).await;
    assert_eq!(third.status, 429);
    assert!(third.body().await.contains("at most 2"));
    // A WebSocket over the cap is closed with 4009.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = t.url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", token("alice")).parse().unwrap(),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut over = Client {
        ws,
        user: "alice".into(),
        connection_id: String::new(),
    };
    let (before, close) = over.recv_close().await;
    assert!(before.is_empty());
    assert_eq!(u16::from(close.unwrap().code), 4009);
    // Another user is not affected.
    let (_bob, _, _) = open(&addr, "bob", "", "").await;
    // A closed SSE stream frees its place.
    drop(sse);
    let mut again = None;
    for _ in 0..100 {
        let resp = HttpStream::get(&addr, "/events", &bearer_line("alice")).await;
        if resp.status == 200 {
            again = Some(resp);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "the closed stream's place was not freed");
    drop(tab);
    t.server.shutdown().await;
}

#[tokio::test]
async fn posts_answer_the_websocket_error_codes_as_json() {
    let t = start(config().rate_limit(1, 6).max_inbound_message(256)).await;
    let addr = addr(&t);
    let raw = |body: &'static [u8]| {
        let addr = addr.clone();
        async move {
            let mut resp =
                HttpStream::request(&addr, "POST", "/events", &bearer_line("alice"), body).await;
            let status = resp.status;
            (status, resp.json().await)
        }
    };
    let (status, e) = raw(b"{nope").await;
    assert_eq!(
        (status, e["payload"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
    assert_eq!(e["type"], "error");
    let (status, e) = raw(br#"{"type":"dance"}"#).await;
    assert_eq!(
        (status, e["payload"]["code"].as_str()),
        (400, Some("unknown_type"))
    );
    let (status, e) = post(
        &addr,
        "alice",
        &json!({ "type": "user_message", "payload": { "content": "x", "agent": "nobody" } }),
    )
    .await;
    assert_eq!(
        (status, e["payload"]["code"].as_str()),
        (400, Some("unknown_agent"))
    );
    assert!(e["payload"]["message"]
        .as_str()
        .unwrap()
        .contains("researcher"));
    let (status, e) = raw(br#"{"type":"ping"}"#).await;
    assert_eq!((status, e), (200, json!({ "type": "pong" })));

    let mut big = HttpStream::request(
        &addr,
        "POST",
        "/events",
        &bearer_line("alice"),
        &[b'x'; 1024],
    )
    .await;
    assert_eq!(big.status, 413);
    assert!(big.body().await.contains("256 bytes"));

    // Beyond the burst of six, at one a second, a user is refused.
    let mut refused = None;
    for _ in 0..20 {
        let (status, e) = raw(br#"{"type":"ping"}"#).await;
        if status != 200 {
            refused = Some((status, e));
            break;
        }
    }
    let (status, e) = refused.expect("never rate limited");
    assert_eq!(
        (status, e["payload"]["code"].as_str()),
        (429, Some("rate_limited")),
        "{e}"
    );
    let (status, _) = post(&addr, "bob", &json!({ "type": "ping" })).await;
    assert_eq!(status, 200);

    let mut put = HttpStream::request(&addr, "PUT", "/events", &bearer_line("alice"), b"").await;
    assert_eq!(put.status, 405);
    assert_eq!(put.header("allow").as_deref(), Some("GET, POST"));
    let _ = put.body().await;
    t.server.shutdown().await;
}

#[tokio::test]
async fn keep_alive_comments_flow_while_idle() {
    let t = start(config().ping_interval(Duration::from_millis(50))).await;
    let (mut sse, _, _) = open(&addr(&t), "alice", "", "").await;
    for _ in 0..2 {
        let event = sse.next_any().await.unwrap();
        assert!(event.comment, "{event:?}");
    }
    t.server.shutdown().await;
}

#[tokio::test]
async fn a_stream_that_falls_behind_ends_with_4008() {
    let t = start(config().queue_capacity(2)).await;
    let (mut sse, _, _) = open(&addr(&t), "alice", "", "").await;
    emit_thoughts(&t.hub, "alice", 2_000).await;
    let mut last = 0;
    let close = loop {
        let event = sse.next_event().await;
        if event.event.as_deref() == Some("close") {
            break event.json();
        }
        let seq = seq_of(&event);
        assert_eq!(seq, last + 1, "gap-free up to the close");
        last = seq;
    };
    assert_eq!(close, json!({ "code": 4008, "reason": "slow consumer" }));
    assert!(last < 2_002, "fell behind yet got everything?");
    assert!(
        sse.next_any().await.is_none(),
        "the stream ends after the close"
    );
    t.server.shutdown().await;
}

#[tokio::test]
async fn shutdown_ends_runs_with_their_terminal_events_then_the_stream() {
    let t = start(config()).await;
    let addr = addr(&t);
    let (mut sse, _, _) = open(&addr, "alice", "", "").await;
    let (status, _) = post(
        &addr,
        "alice",
        &json!({ "type": "user_message", "payload": { "content": "wait", "agent": "sleeper" } }),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(sse.next_event().await.json()["type"], "agent_started");
    assert_eq!(sse.next_event().await.json()["type"], "tool_executing");
    let TestServer { server, .. } = t;
    let shutdown = tokio::spawn(server.shutdown());
    let tool = sse.next_event().await.json();
    assert_eq!(tool["type"], "tool_completed");
    assert_eq!(tool["payload"]["status"], "cancelled");
    let done = sse.next_event().await.json();
    assert_eq!(done["type"], "agent_completed");
    assert_eq!(done["payload"]["status"], "cancelled");
    let close = sse.next_event().await;
    assert_eq!(close.event.as_deref(), Some("close"));
    assert_eq!(close.json()["code"], 1001);
    assert!(sse.next_any().await.is_none());
    shutdown.await.unwrap();
    // Nothing answers any more.
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err() || {
            let head = raw_http(&addr, b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n").await;
            status_of(&head) == 0 || status_of(&head) == 503
        }
    );
}

#[tokio::test]
async fn sse_config_is_validated_like_the_websocket_one() {
    let hub = Hub::builder().build().unwrap();
    assert!(hub.sse_service(config().queue_capacity(0)).is_err());
    let sse = hub.sse_service(ServerConfig::new(auth())).unwrap();
    assert_eq!(sse.connection_count(), 0);
    assert_eq!(sse.active_runs(), 0);
}
