//! Each user receives exactly their own events, numbered gap-free; managers
//! of one user share that user's log, and nothing is shared across users.
//! Also the replay buffer, and that emitting never waits for anyone.

mod support;

use std::collections::BTreeSet;

use agentwire::prelude::*;
use agentwire::{RecvError, Subscription};
use serde_json::{json, Value};
use support::ctx;

const USERS: usize = 1_000;
const RUNS_PER_USER: usize = 3;
const THOUGHTS_PER_RUN: usize = 3;
/// agent_started, the thoughts, tool_executing, tool_completed, agent_completed.
const EVENTS_PER_RUN: usize = THOUGHTS_PER_RUN + 4;
const EVENTS_PER_USER: usize = RUNS_PER_USER * EVENTS_PER_RUN;

fn user_name(i: usize) -> String {
    // `user-1` and `user-10` must not be confused with each other.
    format!("user-{i}")
}

/// One run: every payload carries the user's own marker.
async fn work(bridge: AgentBridge, user: String, r: usize) {
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "worker",
            message: user.as_str()
        }
    );
    for k in 0..THOUGHTS_PER_RUN {
        emit!(
            run,
            agent_thinking {
                reasoning: format!("{user}|{r}|{k}")
            }
        );
        tokio::task::yield_now().await;
    }
    let call = emit!(
        run,
        tool_executing {
            tool_name: "echo",
            parameters: json!({"user": user})
        }
    );
    tokio::task::yield_now().await;
    emit!(
        call,
        tool_completed {
            result: json!({"user": user, "run": r})
        }
    );
    emit!(
        run,
        agent_completed {
            result: json!(user)
        }
    );
}

/// Receives `n` events and checks they are the user's own, seq 1..=n.
async fn receive_own(mut events: Subscription, user: String, n: usize) -> Subscription {
    let mut thoughts = BTreeSet::new();
    for expected_seq in 1..=n as u64 {
        let event = events.recv().await.expect("no lag, no close");
        assert_eq!(event.seq(), expected_seq, "{user}: seq is gap-free from 1");
        let e: Value = event.to_json();
        assert_eq!(e["seq"], expected_seq);
        assert_eq!(e["user_id"], user.as_str(), "{user} got {e}");
        let p = &e["payload"];
        let own = match e["type"].as_str().unwrap() {
            "agent_started" => p["message"] == user.as_str(),
            "agent_thinking" => {
                let r = p["reasoning"].as_str().unwrap();
                thoughts.insert(r.to_owned());
                r.split('|').next() == Some(user.as_str())
            }
            "tool_executing" => p["parameters"]["user"] == user.as_str(),
            "tool_completed" => p["result"]["user"] == user.as_str(),
            "agent_completed" => p["result"] == user.as_str(),
            other => panic!("unexpected {other}"),
        };
        assert!(own, "{user} got someone else's event: {e}");
    }
    let expected: BTreeSet<String> = (0..RUNS_PER_USER)
        .flat_map(|r| (0..THOUGHTS_PER_RUN).map(move |k| (r, k)))
        .map(|(r, k)| format!("{user}|{r}|{k}"))
        .collect();
    assert_eq!(thoughts, expected, "{user}: every thought, once");
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_thousand_users_each_receive_exactly_their_own_events() {
    let hub = Hub::builder().build().expect("hub");
    let factory = hub.factory();

    let mut managers = Vec::with_capacity(USERS);
    let mut receivers = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let user = user_name(i);
        let manager = factory.create_manager(&ctx(&user, "main")).await.unwrap();
        let events = manager.subscribe();
        receivers.push(tokio::spawn(receive_own(events, user, EVENTS_PER_USER)));
        managers.push(manager);
    }

    let mut emitters = Vec::with_capacity(USERS * RUNS_PER_USER);
    for i in 0..USERS {
        for r in 0..RUNS_PER_USER {
            let factory = factory.clone();
            emitters.push(tokio::spawn(async move {
                // Each run on its own thread, through its own manager.
                let user = user_name(i);
                let manager = factory
                    .create_manager(&ctx(&user, &format!("thread-{r}")))
                    .await
                    .unwrap();
                work(manager.bridge(), user, r).await;
            }));
        }
    }
    for emitter in emitters {
        emitter.await.expect("emitter");
    }
    let mut subscriptions = Vec::with_capacity(USERS);
    for receiver in receivers {
        subscriptions.push(receiver.await.expect("receiver"));
    }

    // Nothing else is queued for anyone: the next event each user receives
    // is the one emitted for them now.
    for (i, (manager, mut events)) in managers.iter().zip(subscriptions).enumerate() {
        assert_eq!(manager.last_seq(), EVENTS_PER_USER as u64);
        let run = emit!(
            manager.bridge(),
            agent_started {
                agent_name: "sentinel"
            }
        );
        let next = events.recv().await.unwrap().to_json();
        assert_eq!(next["seq"], EVENTS_PER_USER as u64 + 1);
        assert_eq!(next["agent_name"], "sentinel");
        assert_eq!(next["user_id"], user_name(i));
        assert_eq!(next["run_id"], run.id().as_str());
    }
}

#[tokio::test]
async fn managers_of_one_user_share_the_log() {
    let hub = Hub::builder().build().unwrap();
    let factory = hub.factory();
    let a = factory
        .create_manager(&ctx("alice", "thread-a"))
        .await
        .unwrap();
    let b = factory
        .create_manager(&ctx("alice", "thread-b"))
        .await
        .unwrap();
    let mut from_a = a.subscribe();
    let mut from_b = b.subscribe();

    let run_a = emit!(a.bridge(), agent_started { agent_name: "one" });
    let run_b = emit!(b.bridge(), agent_started { agent_name: "two" });
    emit!(run_a, agent_completed {});
    emit!(run_b, agent_completed {});
    assert_eq!(a.last_seq(), 4);
    assert_eq!(b.last_seq(), 4);

    for events in [&mut from_a, &mut from_b] {
        let got: Vec<(u64, String)> = [
            events.recv().await.unwrap(),
            events.recv().await.unwrap(),
            events.recv().await.unwrap(),
            events.recv().await.unwrap(),
        ]
        .iter()
        .map(|e| {
            (
                e.seq(),
                e.to_json()["thread_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
        assert_eq!(
            got,
            [
                (1, "thread-a".to_owned()),
                (2, "thread-b".to_owned()),
                (3, "thread-a".to_owned()),
                (4, "thread-b".to_owned()),
            ]
        );
    }

    // A manager created later, even from another factory handle, joins the same log.
    let c = hub
        .factory()
        .create_manager(&ctx("alice", "thread-c"))
        .await
        .unwrap();
    assert_eq!(c.last_seq(), 4);
    emit!(
        emit!(
            c.bridge(),
            agent_started {
                agent_name: "three"
            }
        ),
        agent_completed {}
    );
    assert_eq!(from_a.recv().await.unwrap().seq(), 5);
    assert_eq!(
        from_b.recv().await.unwrap().to_json()["thread_id"],
        "thread-c"
    );
}

#[tokio::test]
async fn different_users_share_nothing() {
    let hub = Hub::builder().build().unwrap();
    let factory = hub.factory();
    let alice = factory.create_manager(&ctx("alice", "t")).await.unwrap();
    let bob = factory.create_manager(&ctx("bob", "t")).await.unwrap();
    let mut bobs = bob.subscribe();
    let mut bobs_replay = bob.subscribe_after(0);

    for _ in 0..5 {
        emit!(
            emit!(alice.bridge(), agent_started { agent_name: "a" }),
            agent_completed {}
        );
    }
    assert_eq!(alice.last_seq(), 10);
    assert_eq!(bob.last_seq(), 0, "bob's seq is his own");
    assert_eq!(bobs_replay.missed(), 0);

    let run = emit!(bob.bridge(), agent_started { agent_name: "b" });
    for events in [&mut bobs, &mut bobs_replay] {
        let first = events.recv().await.unwrap().to_json();
        assert_eq!(first["seq"], 1);
        assert_eq!(first["user_id"], "bob");
        assert_eq!(first["run_id"], run.id().as_str());
    }
    // A bridge is bound to its manager's user.
    assert_eq!(alice.bridge().user_id().as_str(), "alice");
    assert_eq!(bob.bridge().user_id().as_str(), "bob");
    assert_eq!(run.user_id().as_str(), "bob");
}

// ---- replay buffer and emitting without subscribers ---------------------------

fn emit_runs(bridge: &AgentBridge, runs: usize) {
    for _ in 0..runs {
        let run = emit!(bridge, agent_started { agent_name: "a" });
        emit!(run, agent_completed {});
    }
}

#[tokio::test]
async fn events_emitted_without_subscribers_are_replayed() {
    let hub = Hub::builder().replay_capacity(8).build().unwrap();
    let manager = hub
        .factory()
        .create_manager(&ctx("alice", "t"))
        .await
        .unwrap();
    emit_runs(&manager.bridge(), 2);

    let mut events = manager.subscribe_after(0);
    assert_eq!(events.missed(), 0);
    for seq in 1..=4 {
        let e = events.recv().await.unwrap();
        assert_eq!(e.seq(), seq);
        assert_eq!(
            e.event_type(),
            if seq % 2 == 1 {
                "agent_started"
            } else {
                "agent_completed"
            }
        );
    }
    // Replay is followed by live events, without a gap or a repeat.
    emit_runs(&manager.bridge(), 1);
    assert_eq!(events.recv().await.unwrap().seq(), 5);
    assert_eq!(events.recv().await.unwrap().seq(), 6);
}

#[tokio::test]
async fn the_replay_buffer_is_bounded_and_reports_what_was_evicted() {
    let hub = Hub::builder().replay_capacity(8).build().unwrap();
    let manager = hub
        .factory()
        .create_manager(&ctx("alice", "t"))
        .await
        .unwrap();
    emit_runs(&manager.bridge(), 10); // 20 events, 13..=20 kept

    // All or nothing: 1..=12 are gone, so none is replayed.
    let mut events = manager.subscribe_after(0);
    assert!(!events.recovered());
    assert_eq!(events.missed(), 20);
    let mut oldest = manager.subscribe_after(12);
    assert!(oldest.recovered());
    assert_eq!(oldest.missed(), 0);
    for seq in 13..=20 {
        assert_eq!(oldest.recv().await.unwrap().seq(), seq);
    }
    emit_runs(&manager.bridge(), 1);
    assert_eq!(events.recv().await.unwrap().seq(), 21);
    assert_eq!(oldest.recv().await.unwrap().seq(), 21);

    let mut recent = manager.subscribe_after(17);
    assert_eq!(recent.missed(), 0);
    for seq in 18..=22 {
        assert_eq!(recent.recv().await.unwrap().seq(), seq);
    }

    let mut live = manager.subscribe();
    assert_eq!(live.missed(), 0);
    emit_runs(&manager.bridge(), 1);
    assert_eq!(
        live.recv().await.unwrap().seq(),
        23,
        "subscribe() starts now"
    );
}

#[tokio::test]
async fn a_zero_replay_capacity_keeps_nothing() {
    let hub = Hub::builder().replay_capacity(0).build().unwrap();
    let manager = hub
        .factory()
        .create_manager(&ctx("alice", "t"))
        .await
        .unwrap();
    emit_runs(&manager.bridge(), 3);
    let mut events = manager.subscribe_after(0);
    assert_eq!(events.missed(), 6);
    emit_runs(&manager.bridge(), 1);
    assert_eq!(events.recv().await.unwrap().seq(), 7);
}

#[tokio::test]
async fn the_default_replay_capacity_keeps_the_latest_256() {
    let hub = Hub::builder().build().unwrap();
    let manager = hub
        .factory()
        .create_manager(&ctx("alice", "t"))
        .await
        .unwrap();
    emit_runs(&manager.bridge(), 150); // 300 events
    assert!(!manager.subscribe_after(0).recovered());
    assert!(!manager.subscribe_after(300 - 256 - 1).recovered());
    let mut events = manager.subscribe_after(300 - 256);
    assert!(events.recovered());
    assert_eq!(events.recv().await.unwrap().seq(), 300 - 256 + 1);
}

#[tokio::test]
async fn emitting_never_waits_for_missing_or_slow_subscribers() {
    let hub = Hub::builder()
        .replay_capacity(16)
        .subscriber_capacity(4)
        .build()
        .unwrap();
    let manager = hub
        .factory()
        .create_manager(&ctx("alice", "t"))
        .await
        .unwrap();
    let mut slow = manager.subscribe();

    // 100,000 events with no one reading: every emit returns at once (they
    // are synchronous), nothing fails, memory stays bounded by the buffers.
    emit_runs(&manager.bridge(), 50_000);
    assert_eq!(manager.last_seq(), 100_000);

    // The slow subscriber got what fit, then is told it fell behind.
    for seq in 1..=4 {
        assert_eq!(slow.recv().await.unwrap().seq(), seq);
    }
    assert_eq!(slow.recv().await.unwrap_err(), RecvError::Lagged);

    // It cannot resume after what it got: most of that is gone. It can
    // resume from what the replay buffer still holds.
    let again = manager.subscribe_after(4);
    assert!(!again.recovered());
    assert_eq!(again.missed(), 100_000 - 4);
    let mut again = manager.subscribe_after(100_000 - 16);
    assert!(again.recovered());
    assert_eq!(again.recv().await.unwrap().seq(), 100_000 - 16 + 1);
}
