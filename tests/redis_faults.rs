//! What tabs see when Redis fails: never a silent gap. Either every event
//! in `seq` order, or the events up to a point and then close code 4010
//! (the stream was reset), after which a resume answers `recovered: false`.

mod support;

use std::time::{Duration, Instant};

use agentwire::prelude::*;
use futures_util::StreamExt;
use serde_json::Value;
use support::redis::RedisServer;
use support::*;
use tokio_tungstenite::tungstenite::Message;

/// What a tab read before its connection ended (or the run completed).
struct Seen {
    events: Vec<Value>,
    close: Option<u16>,
}

/// Reads until `agent_completed` of a run with `expected` events, or the
/// server's close.
async fn read_until_done_or_closed(tab: &mut Client) -> Seen {
    let mut events = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), tab.ws.next())
            .await
            .expect("timed out: a tab neither got the whole run nor was told it was lost");
        match frame {
            Some(Ok(Message::Text(text))) => {
                let event: Value = serde_json::from_str(text.as_str()).unwrap();
                let done = event["type"] == "agent_completed";
                events.push(event);
                if done {
                    return Seen {
                        events,
                        close: None,
                    };
                }
            }
            Some(Ok(Message::Close(close))) => {
                return Seen {
                    events,
                    close: close.map(|c| u16::from(c.code)),
                }
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended without a close frame: {other:?}"),
        }
    }
}

fn assert_gap_free_from(events: &[Value], first: u64) {
    for (i, event) in events.iter().enumerate() {
        assert_eq!(
            event["seq"].as_u64(),
            Some(first + i as u64),
            "gap at {i}: {event}"
        );
    }
}

/// Emits a run of `n` thinking events, pausing between them, on a task of
/// its own; returns when the run is over.
fn agent(hub: &Hub, user: &str, n: usize, pause: Duration) -> tokio::task::JoinHandle<Duration> {
    named_agent(hub, user, "steady", n, pause)
}

fn named_agent(
    hub: &Hub,
    user: &str,
    name: &'static str,
    n: usize,
    pause: Duration,
) -> tokio::task::JoinHandle<Duration> {
    let hub = hub.clone();
    let user = user.to_owned();
    tokio::spawn(async move {
        let bridge = bridge(&hub, &user, "t").await;
        let run = emit!(
            bridge,
            agent_started {
                agent_name: AgentName::new(name).unwrap()
            }
        );
        let mut slowest = Duration::ZERO;
        for i in 0..n {
            let start = Instant::now();
            emit!(
                run,
                agent_thinking {
                    reasoning: format!("step {i}")
                }
            );
            slowest = slowest.max(start.elapsed());
            tokio::time::sleep(pause).await;
        }
        emit!(run, agent_completed {});
        slowest
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_pubsub_messages_are_filled_from_the_stream() {
    let redis = RedisServer::start().await;
    let server = start_hub(Hub::builder().redis(redis.url()).build().unwrap(), config()).await;
    let worker = Hub::builder().redis(redis.url()).build().unwrap();
    let mut tab = Client::connect(&server.url, "erin").await;
    let mut next = 1;
    for round in 0..5 {
        // The server node's subscription connection goes (with the
        // worker's, which takes forwarded cancels once it has hosted a
        // run); the worker emits at once, into the window where nobody is
        // subscribed.
        let numsub: (String, i64) = redis
            .query(&["PUBSUB", "NUMSUB", "agentwire:{erin}:ch"])
            .await;
        assert_eq!(
            numsub.1, 1,
            "round {round}: the node's subscription was not there"
        );
        let killed: i64 = redis.query(&["CLIENT", "KILL", "TYPE", "pubsub"]).await;
        assert!(killed >= 1, "round {round}: nothing killed");
        let run = agent(&worker, "erin", 20, Duration::ZERO);
        run.await.unwrap();
        let seen = read_until_done_or_closed(&mut tab).await;
        assert_eq!(seen.close, None);
        assert_eq!(seen.events.len(), 22, "round {round}");
        assert_gap_free_from(&seen.events, next);
        next += 22;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_channel_messages_neither_reach_tabs_nor_leave_gaps() {
    let redis = RedisServer::start().await;
    let server = start_hub(Hub::builder().redis(redis.url()).build().unwrap(), config()).await;
    let worker = Hub::builder().redis(redis.url()).build().unwrap();
    let (mut tab, hello) = Client::connect_query(&server.url, "fay", "").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    let mut next = 1;
    // Whatever else publishes on a user's channel, in the stream's own
    // epoch and numbered as the next event: text that is no batch, a batch
    // cut short, a length past the message's end, an empty message, and a
    // well-formed batch of another epoch.
    for round in 0..5 {
        let junk = match round {
            0 => "hello".to_owned(),
            1 => format!("{epoch} {next} agent_thinking 40 ,\"payload\":{{}}}}"),
            2 => format!("{epoch} {next} agent_thinking 9999 x"),
            3 => String::new(),
            _ => format!("ghost {next} agent_thinking 2 }}}}"),
        };
        let receivers: i64 = redis.query(&["PUBLISH", "agentwire:{fay}:ch", &junk]).await;
        assert_eq!(receivers, 1, "round {round}: the node was not subscribed");
        let run = agent(&worker, "fay", 20, Duration::ZERO);
        run.await.unwrap();
        let seen = read_until_done_or_closed(&mut tab).await;
        assert_eq!(seen.close, None, "round {round}");
        assert_eq!(seen.events.len(), 22, "round {round}");
        assert_gap_free_from(&seen.events, next);
        next += 22;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_mid_run_resets_tabs_never_silently() {
    let mut redis = RedisServer::start().await;
    let server = start_hub(Hub::builder().redis(redis.url()).build().unwrap(), config()).await;
    let worker = Hub::builder().redis(redis.url()).build().unwrap();
    let (mut tab, hello) = Client::connect_query(&server.url, "frank", "").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    let run = agent(&worker, "frank", 300, Duration::from_millis(5));

    // Let some of the run through, then take Redis away (nothing persists).
    let mut before = Vec::new();
    while before.len() < 40 {
        before.push(tab.recv().await);
    }
    redis.kill();
    tokio::time::sleep(Duration::from_millis(700)).await;
    redis.restart().await;

    let slowest = run.await.expect("the agent ran to its end");
    assert!(
        slowest < Duration::from_millis(50),
        "an emit blocked for {slowest:?}"
    );
    let seen = read_until_done_or_closed(&mut tab).await;
    before.extend(seen.events);
    assert_gap_free_from(&before, 1);
    // The history was lost with Redis: the tab is told, not left with a gap.
    assert_eq!(seen.close, Some(4010));
    let last = before.last().unwrap()["seq"].as_u64().unwrap();
    let query = format!("since={last}&epoch={epoch}");
    let (mut tab, hello) = Client::connect_query(&server.url, "frank", &query).await;
    assert_eq!(hello["recovered"], false, "{hello}");
    assert_ne!(hello["epoch"], epoch.as_str());
    // The new stream is whole from the reconnect on (the worker may still
    // be writing what it buffered while Redis was away).
    let from = hello["seq"].as_u64().unwrap();
    named_agent(&worker, "frank", "after", 3, Duration::ZERO)
        .await
        .unwrap();
    let mut events = Vec::new();
    loop {
        let event = tab.recv().await;
        let done = event["type"] == "agent_completed" && event["agent_name"] == "after";
        events.push(event);
        if done {
            break;
        }
    }
    assert_gap_free_from(&events, from + 1);
    let after = events.iter().filter(|e| e["agent_name"] == "after").count();
    assert_eq!(after, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_loses_nothing_and_writes_nothing_twice() {
    let redis = RedisServer::start().await;
    let server = start_hub(Hub::builder().redis(redis.url()).build().unwrap(), config()).await;
    let worker = Hub::builder().redis(redis.url()).build().unwrap();
    let mut tab = Client::connect(&server.url, "gina").await;
    let run = agent(&worker, "gina", 200, Duration::from_millis(10));
    let mut events = Vec::new();
    while events.len() < 30 {
        events.push(tab.recv().await);
    }
    // Requests in flight hang past the client's timeout, are retried, and
    // run anyway when Redis goes on: each batch must land once.
    redis.pause(true);
    tokio::time::sleep(Duration::from_secs(4)).await;
    redis.pause(false);
    let slowest = run.await.unwrap();
    assert!(
        slowest < Duration::from_millis(50),
        "an emit blocked for {slowest:?}"
    );
    let seen = read_until_done_or_closed(&mut tab).await;
    assert_eq!(seen.close, None, "nothing was lost, so nothing is reset");
    events.extend(seen.events);
    assert_eq!(events.len(), 202);
    assert_gap_free_from(&events, 1);
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| e["payload"]["reasoning"].as_str())
        .collect();
    let want: Vec<String> = (0..200).map(|i| format!("step {i}")).collect();
    assert_eq!(texts, want, "each event once, in emit order");
    let seq: u64 = redis.query(&["HGET", "agentwire:{gina}:meta", "seq"]).await;
    assert_eq!(seq, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overflowing_buffer_starts_a_new_epoch() {
    let redis = RedisServer::start().await;
    let server = start_hub(Hub::builder().redis(redis.url()).build().unwrap(), config()).await;
    let worker = Hub::builder()
        .redis(redis.url())
        .redis_buffer(16, 1 << 20)
        .build()
        .unwrap();
    let (mut tab, hello) = Client::connect_query(&server.url, "hana", "").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    agent(&worker, "hana", 3, Duration::ZERO).await.unwrap();
    let first = read_until_done_or_closed(&mut tab).await;
    assert_gap_free_from(&first.events, 1);

    // Redis keeps its data, but the worker cannot keep 100 events for it.
    redis.pause(true);
    let run = agent(&worker, "hana", 100, Duration::ZERO);
    let slowest = run.await.unwrap();
    redis.pause(false);
    assert!(
        slowest < Duration::from_millis(50),
        "an emit blocked for {slowest:?}"
    );
    // A batch in flight when Redis froze lands when it goes on, in the old
    // stream; then the tab is told the stream was reset.
    let seen = read_until_done_or_closed(&mut tab).await;
    assert_eq!(seen.close, Some(4010), "got {:?}", seen.events);
    assert_gap_free_from(&seen.events, 6);
    assert!(seen.events.len() < 16, "{} events", seen.events.len());
    let (_, hello) =
        Client::connect_query(&server.url, "hana", &format!("since=5&epoch={epoch}")).await;
    assert_eq!(hello["recovered"], false);
    assert_ne!(hello["epoch"], epoch.as_str());
    // What the buffer still held is the start of the new stream.
    let seq = hello["seq"].as_u64().unwrap();
    assert!((1..=16).contains(&seq), "{hello}");
}
