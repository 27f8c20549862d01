//! Delivery over real sockets: isolation between users, fan-out to every
//! tab, slow consumers, graceful shutdown.

mod support;

use std::time::{Duration, Instant};

use agentwire::prelude::*;
use agentwire::server::CloseCode;
use serde_json::Value;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_users_each_receive_exactly_their_own_runs() {
    let t = start(config()).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let url = t.url.clone();
        tasks.push(tokio::spawn(async move {
            let user = format!("user-{i}");
            let marker = format!("marker-{i}-{}", i * 7919);
            let mut c = Client::connect(&url, &user).await;
            c.send_message(&marker).await;
            let events = c.recv_run().await;
            (user, marker, events)
        }));
    }
    for task in tasks {
        let (user, marker, events) = task.await.unwrap();
        assert_eq!(
            types(&events),
            [
                "agent_started",
                "agent_thinking",
                "tool_executing",
                "tool_completed",
                "agent_completed"
            ],
            "{user}"
        );
        for e in &events {
            assert_eq!(e["user_id"], user.as_str(), "leak into {user}: {e}");
        }
        assert_eq!(
            events[1]["payload"]["reasoning"],
            format!("Reading: {marker}")
        );
        assert_eq!(
            events[4]["payload"]["result"]["answer"],
            format!("3 offers for {marker}")
        );
        let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5], "{user}");
    }
}

#[tokio::test]
async fn every_tab_of_a_user_receives_the_same_events_in_the_same_order() {
    let t = start(config()).await;
    let mut tabs = Vec::new();
    for _ in 0..3 {
        tabs.push(Client::connect(&t.url, "maya").await);
    }
    let ids: std::collections::HashSet<_> = tabs.iter().map(|c| c.connection_id.clone()).collect();
    assert_eq!(ids.len(), 3, "each tab is its own connection");
    let mut stranger = Client::connect(&t.url, "nick").await;
    tabs[1].send_message("first").await;
    tabs[2].send_message("second").await;
    let mut streams = Vec::new();
    for tab in &mut tabs {
        let mut events = Vec::new();
        while events
            .iter()
            .filter(|e: &&Value| e["type"] == "agent_completed")
            .count()
            < 2
        {
            events.push(tab.recv().await);
        }
        streams.push(events);
    }
    assert_eq!(streams[0].len(), 10);
    assert_eq!(streams[0], streams[1]);
    assert_eq!(streams[0], streams[2]);
    let seqs: Vec<u64> = streams[0]
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
    // The other user saw none of it: its next frame is its own pong.
    stranger.send(serde_json::json!({ "type": "ping" })).await;
    assert_eq!(stranger.recv().await["type"], "pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_connection_is_closed_as_slow_and_never_slows_others() {
    let t = start(
        config()
            .queue_capacity(32)
            .write_timeout(Duration::from_secs(15)),
    )
    .await;
    let mut slow = Client::connect(&t.url, "slow").await;
    let mut fast = Client::connect(&t.url, "fast").await;
    let ctx = ctx("slow", "t");
    let manager = t.hub.factory().create_manager(&ctx).await.unwrap();
    let bridge = manager.bridge();
    let chunk = "x".repeat(16 * 1024);

    // The slow client reads nothing while 64 MiB of its events are emitted:
    // far more than the socket buffers and its queue hold.
    let flood = |n: usize| {
        let run = emit!(
            bridge,
            agent_started {
                agent_name: "flood"
            }
        );
        for _ in 0..n {
            emit!(
                run,
                agent_thinking {
                    reasoning: chunk.as_str()
                }
            );
        }
        emit!(run, agent_completed {});
    };
    let started = Instant::now();
    flood(4096);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "emitting blocked on a slow client"
    );

    // Another user's run completes promptly meanwhile.
    let started = Instant::now();
    fast.send_message("unaffected").await;
    assert_eq!(
        fast.recv_run().await.last().unwrap()["payload"]["status"],
        "completed"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );

    // Memory stays bounded: another 128 MiB for the stalled user is not queued.
    let before = resident_bytes();
    for _ in 0..2 {
        flood(4096);
        tokio::task::yield_now().await;
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < 48 << 20,
        "resident memory grew by {} MiB",
        grown >> 20
    );

    // When the client reads again it finds, after what was in flight, the
    // slow-consumer close.
    let (received, close) = slow.recv_close().await;
    assert!(
        received.len() < 4096,
        "{} events were delivered",
        received.len()
    );
    assert_eq!(
        u16::from(close.expect("a close frame").code),
        CloseCode::SlowConsumer.code()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_ends_every_run_and_closes_with_1001() {
    let t = start(config()).await;
    let mut clients = Vec::new();
    for user in ["olga", "piet"] {
        let mut c = Client::connect(&t.url, user).await;
        c.send_to("sleeper", "wait").await;
        let started = c.recv().await;
        assert_eq!(started["type"], "agent_started");
        assert_eq!(c.recv().await["type"], "tool_executing");
        clients.push(c);
    }
    assert_eq!(t.server.active_runs(), 2);
    let shutdown = tokio::spawn(t.server.shutdown());
    for mut c in clients {
        let (events, close) = c.recv_close().await;
        assert_eq!(
            types(&events),
            ["tool_completed", "agent_completed"],
            "{}",
            c.user
        );
        assert_eq!(events[0]["payload"]["status"], "cancelled");
        assert_eq!(events[1]["payload"]["status"], "cancelled");
        assert_eq!(u16::from(close.expect("a close frame").code), 1001);
    }
    tokio::time::timeout(WAIT, shutdown).await.unwrap().unwrap();
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(
        t.url.trim_start_matches("ws://").trim_end_matches("/ws")
    )
    .await
    .is_err());
}

#[tokio::test]
async fn silent_peers_are_pinged_and_dropped() {
    let t = start(
        config()
            .ping_interval(Duration::from_millis(100))
            .pong_timeout(Duration::from_millis(200)),
    )
    .await;
    let mut c = Client::connect(&t.url, "quinn").await;
    // A live client answers pings (tungstenite does it while reading) and stays.
    let deadline = Instant::now() + Duration::from_millis(600);
    let mut pings = 0;
    while Instant::now() < deadline {
        if let Ok(Some(Ok(frame))) = tokio::time::timeout(
            Duration::from_millis(50),
            futures_util::StreamExt::next(&mut c.ws),
        )
        .await
        {
            pings += usize::from(frame.is_ping());
        }
    }
    assert!(pings >= 2, "{pings} pings");
    assert_eq!(t.server.connection_count(), 1);
    // A silent one (not reading, so not answering) is dropped.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (_, close) = c.recv_close().await;
    assert_eq!(
        close.map(|c| u16::from(c.code)),
        Some(CloseCode::Policy.code())
    );
}
