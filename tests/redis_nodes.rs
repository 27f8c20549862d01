//! Several hubs on one real Redis act as the nodes of one service: real
//! sockets, real JWTs, a real `redis-server`.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use agentwire::prelude::*;
use serde_json::Value;
use support::redis::RedisServer;
use support::*;

fn seqs(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["seq"].as_u64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_tabs_on_two_nodes_see_the_same_events_in_the_same_order() {
    let redis = RedisServer::start().await;
    let (a, b) = (redis.node(config()).await, redis.node(config()).await);
    let mut on_a = Client::connect(&a.url, "alice").await;
    let mut on_b = Client::connect(&b.url, "alice").await;
    // Each node's agent emits once; both tabs see both runs.
    on_a.send_message("gpus").await;
    let (a1, b1) = (on_a.recv_run().await, on_b.recv_run().await);
    on_b.send_message("tpus").await;
    let (a2, b2) = (on_a.recv_run().await, on_b.recv_run().await);
    let on_a: Vec<Value> = a1.into_iter().chain(a2).collect();
    let on_b: Vec<Value> = b1.into_iter().chain(b2).collect();
    assert_eq!(
        on_a, on_b,
        "the same events, byte for byte, in the same order"
    );
    assert_eq!(seqs(&on_a), (1..=10).collect::<Vec<_>>());
    assert!(on_a.iter().all(|e| e["user_id"] == "alice"));
    assert!(on_a[4]["payload"]["result"]["answer"]
        .as_str()
        .unwrap()
        .contains("gpus"));
    assert!(on_a[9]["payload"]["result"]["answer"]
        .as_str()
        .unwrap()
        .contains("tpus"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_users_on_three_nodes_get_their_own_complete_streams() {
    const USERS: usize = 200;
    const THINKING: usize = 3;
    let redis = RedisServer::start().await;
    let nodes = [
        redis.node(config()).await,
        redis.node(config()).await,
        redis.node(config()).await,
    ];
    let mut tabs = Vec::new();
    for i in 0..USERS {
        tabs.push(Client::connect(&nodes[i % 3].url, &format!("user-{i}")).await);
    }
    // Every user's run is emitted on another node than its tab's.
    let mut emitters = Vec::new();
    for i in 0..USERS {
        let hub = nodes[(i + 1) % 3].hub.clone();
        emitters.push(tokio::spawn(async move {
            emit_thoughts(&hub, &format!("user-{i}"), THINKING).await;
        }));
    }
    for emitter in emitters {
        emitter.await.unwrap();
    }
    let readers = tabs.into_iter().enumerate().map(|(i, mut tab)| {
        tokio::spawn(async move {
            let run = tab.recv_run().await;
            (i, run)
        })
    });
    for reader in readers {
        let (i, run) = reader.await.unwrap();
        let user = format!("user-{i}");
        assert!(
            run.iter().all(|e| e["user_id"] == *user),
            "{user} got another's event"
        );
        assert_eq!(
            seqs(&run),
            (1..=(THINKING as u64 + 2)).collect::<Vec<_>>(),
            "{user}"
        );
        assert_eq!(run[0]["type"], "agent_started");
        let runs: HashSet<&str> = run.iter().map(|e| e["run_id"].as_str().unwrap()).collect();
        assert_eq!(runs.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_resumes_on_another_node() {
    let redis = RedisServer::start().await;
    let (a, b) = (redis.node(config()).await, redis.node(config()).await);
    let mut tab = Client::connect(&a.url, "alice").await;
    tab.send_message("first").await;
    let first = tab.recv_run().await;
    let (_, hello) = Client::connect_query(&a.url, "alice", "").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    let last = first.last().unwrap()["seq"].as_u64().unwrap();
    assert_eq!(last, 5);
    drop(tab);

    // While the client is away, node A's agent goes on.
    emit_thoughts(&a.hub, "alice", 2).await;
    emit_thoughts(&a.hub, "alice", 0).await;
    a.hub.flush(WAIT).await.unwrap();

    let query = format!("since={last}&epoch={epoch}");
    let (mut tab, hello) = Client::connect_query(&b.url, "alice", &query).await;
    assert_eq!(hello["recovered"], true, "{hello}");
    assert_eq!(hello["missed"], 6);
    assert_eq!(hello["epoch"], epoch.as_str());
    let mut missed = tab.recv_run().await;
    missed.extend(tab.recv_run().await);
    assert_eq!(seqs(&missed), (6..=11).collect::<Vec<_>>());
    // Live events follow the replay.
    emit_thoughts(&a.hub, "alice", 0).await;
    assert_eq!(seqs(&tab.recv_run().await), [12, 13]);

    // A stale epoch, or a gap wider than the stream, is never recovered.
    let (_, hello) = Client::connect_query(&b.url, "alice", "since=3&epoch=epoch_stale").await;
    assert_eq!(hello["recovered"], false);
    let (_, hello) =
        Client::connect_query(&a.url, "alice", &format!("since=99&epoch={epoch}")).await;
    assert_eq!(hello["recovered"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_is_all_or_nothing_against_the_stream_window() {
    let redis = RedisServer::start().await;
    let hub = |url: &str| {
        Hub::builder()
            .agent(researcher)
            .replay_capacity(4)
            .redis(url)
            .build()
            .unwrap()
    };
    let a = start_hub(hub(&redis.url()), config()).await;
    let b = start_hub(hub(&redis.url()), config()).await;
    emit_thoughts(&a.hub, "bob", 8).await; // seq 1..=10
    a.hub.flush(WAIT).await.unwrap();
    let (_, hello) = Client::connect_query(&b.url, "bob", "").await;
    let epoch = hello["epoch"].as_str().unwrap().to_owned();
    assert_eq!(hello["seq"], 10);
    let len: u64 = redis.query(&["XLEN", "agentwire:{bob}:log"]).await;
    assert_eq!(len, 4, "the stream is trimmed to the replay window");
    let (mut tab, hello) =
        Client::connect_query(&b.url, "bob", &format!("since=6&epoch={epoch}")).await;
    assert_eq!(hello["recovered"], true);
    let replay = tab.recv_run().await;
    assert_eq!(seqs(&replay), [7, 8, 9, 10]);
    let (_, hello) = Client::connect_query(&b.url, "bob", &format!("since=5&epoch={epoch}")).await;
    assert_eq!(
        (hello["recovered"].clone(), hello["missed"].clone()),
        (Value::Bool(false), Value::from(5))
    );
}

/// Emitting only queues an event for the user's writer task: a worker that
/// exits right after emitting flushes first, and then nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_flushes_before_it_exits_loses_nothing() {
    let redis = RedisServer::start().await;
    let server = redis.node(config()).await;
    for round in 1..=3u64 {
        let worker = Hub::builder().redis(redis.url()).build().unwrap();
        emit_thoughts(&worker, "dora", 30).await; // 32 events
        worker.flush(WAIT).await.unwrap();
        drop(worker);
        let (_, hello) = Client::connect_query(&server.url, "dora", "").await;
        assert_eq!(hello["seq"], 32 * round, "{hello}");
    }
    // With Redis gone, flushing says so instead of waiting forever.
    let worker = Hub::builder().redis(redis.url()).build().unwrap();
    redis.pause(true);
    emit_thoughts(&worker, "dora", 0).await;
    let err = worker.flush(Duration::from_millis(300)).await.unwrap_err();
    assert!(
        err.to_string().contains("not all written to Redis"),
        "{err}"
    );
    redis.pause(false);
    worker.flush(WAIT).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_without_a_server_emits_to_tabs_on_a_server_node() {
    let redis = RedisServer::start().await;
    let server = redis.node(config()).await;
    let worker = Hub::builder().redis(redis.url()).build().unwrap();
    let mut tab = Client::connect(&server.url, "carol").await;
    let mut second = Client::connect(&server.url, "carol").await;

    let bridge = bridge(&worker, "carol", "jobs").await;
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "nightly"
        }
    );
    let call = emit!(run, tool_executing { tool_name: "crawl" });
    emit!(
        call,
        tool_completed {
            result: serde_json::json!({"pages": 12})
        }
    );
    emit!(run, agent_completed {});

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
    assert_eq!(seqs(&events), [1, 2, 3, 4]);
    assert_eq!(events[0]["thread_id"], "jobs");
    assert_eq!(events[2]["payload"]["result"]["pages"], 12);
    assert_eq!(second.recv_run().await, events);
    // In-process subscribers on the server node follow the same stream.
    let manager = server
        .hub
        .factory()
        .create_manager(&ctx("carol", "jobs"))
        .await
        .unwrap();
    let mut events = manager.subscribe();
    tokio::time::sleep(Duration::from_millis(100)).await;
    emit_thoughts(&worker, "carol", 0).await;
    assert_eq!(events.recv().await.unwrap().seq(), 5);
    assert_eq!(events.recv().await.unwrap().event_type(), "agent_completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_follows_only_the_users_it_serves() {
    let redis = RedisServer::start().await;
    let a = redis.node(config()).await;
    let channels = |redis: &RedisServer| {
        let redis = redis.url();
        async move {
            let client = ::redis::Client::open(redis).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let mut names: Vec<String> = ::redis::cmd("PUBSUB")
                .arg("CHANNELS")
                .query_async(&mut conn)
                .await
                .unwrap();
            names.sort();
            names
        }
    };
    assert!(channels(&redis).await.is_empty());
    let tab = Client::connect(&a.url, "dave").await;
    let other = Client::connect(&a.url, "a}b{").await;
    assert_eq!(
        channels(&redis).await,
        ["agentwire:{a%7Db%7B}:ch", "agentwire:{dave}:ch"]
    );
    drop(tab);
    let deadline = std::time::Instant::now() + WAIT;
    while channels(&redis).await.len() != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "still subscribed after the last tab left"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(other);
}
