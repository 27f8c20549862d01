//! Run control across nodes on one real Redis: `cancel_run` from a tab on
//! any node, the per-user run cap counted across nodes, and what a cancel
//! answers when it cannot be delivered. Real sockets, real JWTs, a real
//! `redis-server`.

mod support;

use std::time::{Duration, Instant};

use agentwire::prelude::*;
use serde_json::{json, Value};
use support::redis::RedisServer;
use support::*;

async fn send_cancel(client: &mut Client, run_id: &str) {
    client
        .send(json!({ "type": "cancel_run", "payload": { "run_id": run_id } }))
        .await;
}

/// Every frame the server sent before the pong of a ping sent now.
async fn drain_replies(client: &mut Client) -> Vec<Value> {
    client.send(json!({ "type": "ping" })).await;
    let mut frames = Vec::new();
    loop {
        let frame = client.recv().await;
        if frame["type"] == "pong" {
            return frames;
        }
        frames.push(frame);
    }
}

/// The one error frame the server answered with, by its code.
async fn error_code(client: &mut Client) -> String {
    let replies = drain_replies(client).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["type"], "error", "{replies:?}");
    replies[0]["payload"]["code"].as_str().unwrap().to_owned()
}

/// The first two events of a sleeper's run: `agent_started`, then its
/// `tool_executing`, which never completes on its own.
async fn recv_start(client: &mut Client) -> Vec<Value> {
    let events = vec![client.recv().await, client.recv().await];
    assert_eq!(
        types(&events),
        ["agent_started", "tool_executing"],
        "{events:?}"
    );
    events
}

/// The end of a run cancelled by a client: the open call `cancelled`, then
/// `agent_completed` `cancelled`, both of run `run_id`.
async fn recv_cancelled_end(client: &mut Client, run_id: &Value) -> Vec<Value> {
    let events = vec![client.recv().await, client.recv().await];
    assert_eq!(
        types(&events),
        ["tool_completed", "agent_completed"],
        "{events:?}"
    );
    for event in &events {
        assert_eq!(&event["run_id"], run_id);
        assert_eq!(event["payload"]["status"], "cancelled", "{event}");
    }
    let error = events[1]["payload"]["error"].as_str().unwrap();
    assert!(error.contains("cancelled by the user"), "{error}");
    events
}

/// The fields of the user's run records, once they are `want` (records
/// are written and deleted in the background).
async fn wait_for_records(redis: &RedisServer, user: &str, want: usize) -> Vec<String> {
    let key = format!("agentwire:{{{user}}}:runs");
    let deadline = Instant::now() + WAIT;
    loop {
        let fields: Vec<String> = redis.query(&["HKEYS", &key]).await;
        if fields.len() == want {
            return fields;
        }
        assert!(
            Instant::now() < deadline,
            "{key} has {fields:?}, not {want} records"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_started_on_one_node_is_cancelled_from_a_tab_on_another() {
    let redis = RedisServer::start().await;
    let (a, b) = (redis.node(config()).await, redis.node(config()).await);
    let mut on_a = Client::connect(&a.url, "alice").await;
    let mut on_b = Client::connect(&b.url, "alice").await;
    on_a.send_to("sleeper", "wait").await;
    let started = recv_start(&mut on_a).await;
    assert_eq!(recv_start(&mut on_b).await, started);
    let run_id = started[0]["run_id"].clone();
    assert_eq!(a.server.active_runs(), 1);
    assert_eq!(b.server.active_runs(), 0, "the run is on node A only");

    send_cancel(&mut on_b, run_id.as_str().unwrap()).await;
    let ended_b = recv_cancelled_end(&mut on_b, &run_id).await;
    let ended_a = recv_cancelled_end(&mut on_a, &run_id).await;
    assert_eq!(ended_a, ended_b, "the same terminal events on both nodes");
    let seqs: Vec<u64> = ended_a.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [3, 4]);
    assert_eq!(
        drain_replies(&mut on_b).await,
        Vec::<Value>::new(),
        "no error"
    );
    assert_eq!(drain_replies(&mut on_a).await, Vec::<Value>::new());
    let deadline = Instant::now() + WAIT;
    while a.server.active_runs() != 0 {
        assert!(
            Instant::now() < deadline,
            "the run is still going on node A"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    wait_for_records(&redis, "alice", 0).await;
    // Cancelled once: the same id again is a run that has ended.
    send_cancel(&mut on_b, run_id.as_str().unwrap()).await;
    assert_eq!(error_code(&mut on_b).await, "unknown_run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_a_worker_without_a_server_is_cancelled_from_a_tab() {
    let redis = RedisServer::start().await;
    let server = redis.node(config()).await;
    let worker = Hub::builder().redis(redis.url()).build().unwrap();
    let mut tab = Client::connect(&server.url, "carol").await;
    let bridge = bridge(&worker, "carol", "jobs").await;
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "nightly"
        }
    );
    let call = emit!(run, tool_executing { tool_name: "crawl" });
    let started = recv_start(&mut tab).await;
    let run_id = started[0]["run_id"].clone();
    assert_eq!(run_id, run.id().as_str());
    let fields = wait_for_records(&redis, "carol", 1).await;
    assert_eq!(fields, [format!("r:{}", run.id())]);

    send_cancel(&mut tab, run_id.as_str().unwrap()).await;
    recv_cancelled_end(&mut tab, &run_id).await;
    // The worker's run knows, and drops whatever it still emits.
    tokio::time::timeout(WAIT, run.cancelled())
        .await
        .expect("the worker's run was not cancelled");
    assert!(run.is_cancelled());
    emit!(
        call,
        tool_completed {
            result: json!("too late")
        }
    );
    emit!(
        run,
        agent_thinking {
            reasoning: "after the end"
        }
    );
    drop(run);
    assert_eq!(drain_replies(&mut tab).await, Vec::<Value>::new());
    wait_for_records(&redis, "carol", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_run_on_another_node_is_unknown_and_untouched() {
    let redis = RedisServer::start().await;
    let (a, b) = (redis.node(config()).await, redis.node(config()).await);
    let mut bob = Client::connect(&a.url, "bob").await;
    let mut alice = Client::connect(&b.url, "alice").await;
    bob.send_to("sleeper", "wait").await;
    let run_id = recv_start(&mut bob).await[0]["run_id"].clone();
    wait_for_records(&redis, "bob", 2).await;

    send_cancel(&mut alice, run_id.as_str().unwrap()).await;
    assert_eq!(error_code(&mut alice).await, "unknown_run");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(drain_replies(&mut bob).await, Vec::<Value>::new());
    assert_eq!(a.server.active_runs(), 1, "bob's run goes on");

    // Bob himself can, from a tab on the other node.
    let mut bob_on_b = Client::connect(&b.url, "bob").await;
    send_cancel(&mut bob_on_b, run_id.as_str().unwrap()).await;
    recv_cancelled_end(&mut bob_on_b, &run_id).await;
    recv_cancelled_end(&mut bob, &run_id).await;
    assert_eq!(drain_replies(&mut alice).await, Vec::<Value>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_or_made_up_run_is_unknown_on_every_node() {
    let redis = RedisServer::start().await;
    let (a, b) = (redis.node(config()).await, redis.node(config()).await);
    let mut on_a = Client::connect(&a.url, "dave").await;
    let mut on_b = Client::connect(&b.url, "dave").await;
    on_a.send_to("researcher", "gpus").await;
    let run = on_a.recv_run().await;
    assert_eq!(on_b.recv_run().await, run);
    assert_eq!(run.last().unwrap()["payload"]["status"], "completed");
    wait_for_records(&redis, "dave", 0).await;
    let run_id = run[0]["run_id"].as_str().unwrap();
    for tab in [&mut on_b, &mut on_a] {
        send_cancel(tab, run_id).await;
        assert_eq!(error_code(tab).await, "unknown_run");
        send_cancel(tab, "run_never was").await;
        assert_eq!(error_code(tab).await, "unknown_run");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_cap_counts_runs_on_every_node() {
    let redis = RedisServer::start().await;
    let (a, b) = (
        redis.node(config().max_runs_per_user(2)).await,
        redis.node(config().max_runs_per_user(2)).await,
    );
    let mut on_a = Client::connect(&a.url, "erin").await;
    let mut on_b = Client::connect(&b.url, "erin").await;
    on_a.send_to("sleeper", "one").await;
    let first = recv_start(&mut on_a).await[0]["run_id"].clone();
    recv_start(&mut on_b).await;
    on_b.send_to("sleeper", "two").await;
    recv_start(&mut on_a).await;
    recv_start(&mut on_b).await;
    assert_eq!((a.server.active_runs(), b.server.active_runs()), (1, 1));

    // One run on each node: the third is over the cap on either.
    for tab in [&mut on_a, &mut on_b] {
        tab.send_to("sleeper", "three").await;
        assert_eq!(error_code(tab).await, "too_many_runs");
    }
    // Cancelling A's run from B frees a place, on B as well.
    send_cancel(&mut on_b, first.as_str().unwrap()).await;
    recv_cancelled_end(&mut on_b, &first).await;
    recv_cancelled_end(&mut on_a, &first).await;
    let deadline = Instant::now() + WAIT;
    loop {
        on_b.send_to("sleeper", "again").await;
        let first = on_b.recv().await;
        if first["type"] == "agent_started" {
            assert_eq!(on_b.recv().await["type"], "tool_executing");
            break;
        }
        // The place is freed as the run's task ends, just after its events.
        assert_eq!(first["payload"]["code"], "too_many_runs", "{first}");
        assert!(
            Instant::now() < deadline,
            "the cancelled run's place is never freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(b.server.active_runs(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_that_cannot_be_delivered_says_so() {
    let redis = RedisServer::start().await;
    let (a, b) = (redis.node(config()).await, redis.node(config()).await);
    let mut on_a = Client::connect(&a.url, "frank").await;
    let mut on_b = Client::connect(&b.url, "frank").await;
    on_a.send_to("sleeper", "wait").await;
    let run_id = recv_start(&mut on_a).await[0]["run_id"].clone();
    recv_start(&mut on_b).await;
    wait_for_records(&redis, "frank", 2).await;

    // Redis does not answer: the cancel is refused as not delivered.
    redis.pause(true);
    send_cancel(&mut on_b, run_id.as_str().unwrap()).await;
    let replies = tokio::time::timeout(Duration::from_secs(8), on_b.recv())
        .await
        .expect("no answer while Redis hangs");
    redis.pause(false);
    assert_eq!(replies["type"], "error", "{replies}");
    assert_eq!(replies["payload"]["code"], "internal", "{replies}");
    let message = replies["payload"]["message"].as_str().unwrap();
    assert!(message.contains("could not be delivered"), "{message}");
    assert_eq!(a.server.active_runs(), 1, "the run goes on");

    // A record of a node that is gone: nobody takes the cancel.
    let key = "agentwire:{frank}:runs";
    let far: i64 = 4_000_000_000_000;
    let _: i64 = redis
        .query(&["HSET", key, "r:run_ghost", &format!("node_gone {far}")])
        .await;
    send_cancel(&mut on_b, "run_ghost").await;
    let replies = drain_replies(&mut on_b).await;
    assert_eq!(replies[0]["payload"]["code"], "internal", "{replies:?}");
    // An expired one is no run at all, and is cleared.
    let _: i64 = redis
        .query(&["HSET", key, "r:run_ghost", "node_gone 1"])
        .await;
    send_cancel(&mut on_b, "run_ghost").await;
    assert_eq!(error_code(&mut on_b).await, "unknown_run");
    let ghost: bool = redis.query(&["HEXISTS", key, "r:run_ghost"]).await;
    assert!(!ghost);

    // With Redis back, the same cancel goes through.
    send_cancel(&mut on_b, run_id.as_str().unwrap()).await;
    recv_cancelled_end(&mut on_b, &run_id).await;
    recv_cancelled_end(&mut on_a, &run_id).await;
}
