//! Nothing is lost without the client knowing: events of any allowed size
//! arrive, a resume either recovers every missed event or says it could
//! not, connections end with the close code that says why, and closed
//! connections leave nothing behind.

mod support;

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::server::{CloseCode, JwtAuth};
use serde_json::{json, Value};
use support::*;

/// Emits one `tool_completed` whose result is a string of `msg.content`
/// bytes (a number in the message), like a tool returning a web page.
#[agent(name = "fetcher")]
async fn fetcher(run: &Run, msg: UserMessage) -> Result<Value, AgentError> {
    let size: usize = msg
        .content
        .trim()
        .parse()
        .map_err(|e: std::num::ParseIntError| AgentError::new(e.to_string()))?;
    let call = emit!(run, tool_executing { tool_name: "fetch" });
    emit!(
        call,
        tool_completed {
            result: json!({ "page": "p".repeat(size) })
        }
    );
    Ok(json!("fetched"))
}

async fn start_fetcher(config: agentwire::server::ServerConfig) -> TestServer {
    let hub = Hub::builder().agent(fetcher).build().unwrap();
    start_hub(hub, config).await
}

#[tokio::test]
async fn an_event_within_the_limit_reaches_every_tab_and_survives_replay() {
    let t = start_fetcher(config()).await;
    let mut tabs = [
        Client::connect(&t.url, "alice").await,
        Client::connect(&t.url, "alice").await,
    ];
    // ~300 KB: over what the write buffer once allowed, well within 1 MiB.
    tabs[0].send_message("300000").await;
    let mut last_seq = 0;
    for tab in &mut tabs {
        let events = tab.recv_run().await;
        assert_eq!(
            types(&events),
            [
                "agent_started",
                "tool_executing",
                "tool_completed",
                "agent_completed"
            ]
        );
        let page = events[2]["payload"]["result"]["page"].as_str().unwrap();
        assert_eq!(page.len(), 300_000);
        assert!(events[2]["payload"].get("truncated").is_none());
        assert_eq!(events[3]["payload"]["status"], "completed");
        last_seq = events[3]["seq"].as_u64().unwrap();
    }
    // The tab is still open and a resume replays the large frame intact.
    tabs[0].send(json!({ "type": "ping" })).await;
    assert_eq!(tabs[0].recv().await["type"], "pong");
    let (_, hello) = Client::connect_query(&t.url, "alice", "since=0").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    let (mut again, hello) = Client::connect_query(
        &t.url,
        "alice",
        &format!("since={}&epoch={epoch}", last_seq - 2),
    )
    .await;
    assert_eq!(hello["recovered"], true, "{hello}");
    let replayed = again.recv_run().await;
    assert_eq!(types(&replayed), ["tool_completed", "agent_completed"]);
    assert_eq!(
        replayed[0]["payload"]["result"]["page"]
            .as_str()
            .unwrap()
            .len(),
        300_000
    );
}

#[tokio::test]
async fn an_event_over_the_limit_arrives_cut_short_and_flagged() {
    let t = start_fetcher(config()).await;
    let mut tab = Client::connect(&t.url, "alice").await;
    tab.send_message("3000000").await;
    let events = tab.recv_run().await;
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    let done = &events[2];
    assert_eq!(done["payload"]["truncated"], true, "{}", done["payload"]);
    assert_eq!(done["payload"]["status"], "success");
    assert!(done.to_string().len() <= 1 << 20);
    assert_eq!(events[3]["payload"]["status"], "completed");
}

#[tokio::test]
async fn a_resume_recovers_exactly_the_missed_events_or_says_it_cannot() {
    let t = start(config()).await;
    let (first, hello) = Client::connect_query(&t.url, "rita", "since=0").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    assert!(!epoch.is_empty());
    assert_eq!(hello["seq"], 0);
    assert_eq!(hello["recovered"], true);
    drop(first);

    // 10 events, then a resume from seq 4: exactly 5..=10 follow.
    emit_thoughts(&t.hub, "rita", 8).await;
    let (mut tab, hello) =
        Client::connect_query(&t.url, "rita", &format!("since=4&epoch={epoch}")).await;
    assert_eq!(
        (
            hello["recovered"].clone(),
            hello["missed"].clone(),
            hello["seq"].clone()
        ),
        (json!(true), json!(6), json!(10)),
        "{hello}"
    );
    for seq in 5..=10 {
        assert_eq!(tab.recv().await["seq"], seq);
    }
    drop(tab);

    // More than the replay window (256) later: no partial replay, and the
    // client is told how much it missed.
    emit_thoughts(&t.hub, "rita", 400).await;
    let (mut tab, hello) =
        Client::connect_query(&t.url, "rita", &format!("since=10&epoch={epoch}")).await;
    assert_eq!(hello["recovered"], false, "{hello}");
    assert_eq!(hello["missed"], 402);
    tab.send(json!({ "type": "ping" })).await;
    assert_eq!(tab.recv().await["type"], "pong", "nothing was replayed");

    // A `since` ahead of the stream, or the largest number: not recovered.
    for since in [10_000u64, u64::MAX] {
        let (_, hello) =
            Client::connect_query(&t.url, "rita", &format!("since={since}&epoch={epoch}")).await;
        assert_eq!(hello["recovered"], false, "{since}: {hello}");
        assert!(hello.get("missed").is_none(), "{hello}");
    }
    // A stale epoch: another stream, whatever its seq.
    let (_, hello) = Client::connect_query(&t.url, "rita", "since=10&epoch=0123456789abcdef").await;
    assert_eq!(hello["recovered"], false, "{hello}");
}

#[tokio::test]
async fn a_restarted_server_is_a_new_epoch_and_old_seqs_are_not_recovered() {
    let t = start(config()).await;
    emit_thoughts(&t.hub, "sam", 20).await;
    let (_, hello) = Client::connect_query(&t.url, "sam", "since=0").await;
    let old_epoch = hello["epoch"].as_str().unwrap().to_owned();
    assert_eq!(hello["seq"], 22);
    t.server.shutdown().await;

    let t = start(config()).await;
    emit_thoughts(&t.hub, "sam", 1).await;
    let (_, hello) =
        Client::connect_query(&t.url, "sam", &format!("since=22&epoch={old_epoch}")).await;
    assert_ne!(hello["epoch"], old_epoch.as_str());
    assert_eq!(hello["recovered"], false, "{hello}");
    assert_eq!(hello["seq"], 3);
}

#[tokio::test]
async fn connect_and_close_churn_leaves_no_subscriber_behind() {
    let t = start(config()).await;
    let ctx = ctx("churn", "t");
    let manager = t.hub.factory().create_manager(&ctx).await.unwrap();
    for _ in 0..300 {
        let mut c = Client::connect(&t.url, "churn").await;
        c.ws.close(None).await.unwrap();
        let _ = c.recv_close().await;
    }
    let deadline = std::time::Instant::now() + WAIT;
    while manager.subscriber_count() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(manager.subscriber_count(), 0);
    assert_eq!(manager.connection_count(), 0);
}

#[tokio::test]
async fn a_connection_is_closed_when_its_token_expires() {
    let auth = JwtAuth::hs256(SECRET).unwrap().leeway(Duration::ZERO);
    let t = start(agentwire::server::ServerConfig::new(auth.clone())).await;
    let short = auth
        .issue(&UserId::new("tess").unwrap(), Duration::from_secs(2))
        .unwrap();
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            t.url.as_str(),
        )
        .unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {short}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut tab = Client::established(ws, "tess").await;
    let opened = std::time::Instant::now();
    let (_, close) = tab.recv_close().await;
    assert_eq!(
        close.map(|c| u16::from(c.code)),
        Some(CloseCode::TokenExpired.code())
    );
    assert!(
        opened.elapsed() < Duration::from_secs(4),
        "{:?}",
        opened.elapsed()
    );
}

#[tokio::test]
async fn invalid_utf8_is_1007_and_protocol_violations_are_1002() {
    let t = start(config()).await;
    let a = addr(&t);

    let mut c = RawClient::connect(&a, "uma").await;
    c.send_frame(0x81, &[b'{', 0xff, 0xfe, b'}']).await;
    assert_eq!(c.close_code().await, Some(CloseCode::InvalidData.code()));

    let mut c = RawClient::connect(&a, "uma").await;
    let mut close = 1000u16.to_be_bytes().to_vec();
    close.extend_from_slice(&[0xc3, 0x28]);
    c.send_frame(0x88, &close).await;
    assert_eq!(c.close_code().await, Some(CloseCode::InvalidData.code()));

    // A reserved close code, a reserved opcode, and a fragmented control
    // frame are all protocol errors.
    for (first, payload) in [
        (0x88u8, 1005u16.to_be_bytes().to_vec()),
        (0x83, b"x".to_vec()),
        (0x09, b"p".to_vec()),
    ] {
        let mut c = RawClient::connect(&a, "uma").await;
        c.send_frame(first, &payload).await;
        assert_eq!(
            c.close_code().await,
            Some(CloseCode::ProtocolError.code()),
            "{first:#x}"
        );
    }
}

#[tokio::test]
async fn error_codes_and_close_codes_are_the_ones_the_readme_documents() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let documented: Vec<&str> = readme
        .split("### Error codes")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("###"))
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let sent: Vec<&str> = agentwire::server::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(documented, sent);

    let table: Vec<u16> = readme
        .split("### Close codes")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    let codes: Vec<u16> = CloseCode::ALL.iter().map(|c| c.code()).collect();
    assert_eq!(table, codes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_dropped_after_the_write_timeout() {
    let t = start(config().write_timeout(Duration::from_millis(500))).await;
    let stalled = Client::connect(&t.url, "wes").await;
    assert_eq!(t.server.connection_count(), 1);
    // ~8 MB of events fill the socket buffers of a peer that reads nothing.
    let bridge = bridge(&t.hub, "wes", "t").await;
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "flood"
        }
    );
    let text = "z".repeat(64 * 1024);
    for _ in 0..128 {
        emit!(
            run,
            agent_thinking {
                reasoning: text.as_str()
            }
        );
    }
    // The write times out and the server lets go of the connection: no
    // close frame can reach a peer that does not read.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while t.server.connection_count() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(t.server.connection_count(), 0);
    drop(stalled);
}
