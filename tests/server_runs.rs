//! Control over runs over real sockets: time budgets, `cancel_run` from any
//! of the user's tabs, the per-user run cap, and runs that outlive the tab
//! that started them.

mod support;

use std::time::Duration;

use agentwire::prelude::*;
use serde_json::{json, Value};
use support::*;

/// Sleeps a little, then answers: long enough to close a tab meanwhile.
#[agent(name = "slow")]
async fn slow(run: &Run, msg: UserMessage) -> Result<Value, AgentError> {
    let call = emit!(run, tool_executing { tool_name: "nap" });
    tokio::time::sleep(Duration::from_millis(300)).await;
    emit!(
        call,
        tool_completed {
            result: json!("rested")
        }
    );
    Ok(json!({ "answer": msg.content }))
}

/// Waits on a tool that never answers, but stops as soon as its run is
/// cancelled, and says so in a custom event that must never arrive.
#[agent(name = "polite")]
async fn polite(run: &Run, _msg: UserMessage) -> Result<Value, AgentError> {
    let call = emit!(
        run,
        tool_executing {
            tool_name: "forever"
        }
    );
    tokio::select! {
        _ = std::future::pending::<()>() => {}
        _ = run.cancelled() => {}
    }
    assert!(run.is_cancelled());
    emit!(
        run,
        agent_thinking {
            reasoning: "after the end"
        }
    );
    emit!(
        call,
        tool_completed {
            result: json!("too late")
        }
    );
    Ok(Value::Null)
}

fn hub(budget: Option<Duration>) -> Hub {
    Hub::builder()
        .agent(researcher)
        .agent(panicker)
        .agent(sleeper)
        .agent(slow)
        .agent(polite)
        .run_budget(budget)
        .build()
        .unwrap()
}

async fn send_cancel(client: &mut Client, run_id: &str) {
    client
        .send(json!({ "type": "cancel_run", "payload": { "run_id": run_id } }))
        .await;
}

/// Frames up to and including the first of type `ty`.
async fn recv_until(client: &mut Client, ty: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = client.recv().await;
        let done = frame["type"] == ty;
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

/// Sends a ping and returns every frame before the pong: whatever the
/// server had to say about the messages sent before it.
async fn drain_replies(client: &mut Client) -> Vec<Value> {
    client.send(json!({ "type": "ping" })).await;
    let mut frames = recv_until(client, "pong").await;
    frames.pop();
    frames
}

/// Nothing but a pong arrives within `wait`.
async fn assert_quiet(client: &mut Client, wait: Duration) {
    tokio::time::sleep(wait).await;
    assert_eq!(drain_replies(client).await, Vec::<Value>::new());
}

fn assert_cancelled_run(events: &[Value], error: &str) {
    assert_eq!(
        types(events),
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ],
        "{events:?}"
    );
    assert_eq!(events[2]["payload"]["status"], "cancelled");
    assert_eq!(events[3]["payload"]["status"], "cancelled");
    let got = events[3]["payload"]["error"].as_str().unwrap();
    assert!(got.contains(error), "{got:?} does not say {error:?}");
    let run_id = &events[0]["run_id"];
    assert!(events.iter().all(|e| &e["run_id"] == run_id));
}

#[tokio::test]
async fn a_hung_agent_ends_by_its_budget_on_every_tab() {
    let t = start_hub(hub(Some(Duration::from_millis(300))), config()).await;
    let mut tab1 = Client::connect(&t.url, "alice").await;
    let mut tab2 = Client::connect(&t.url, "alice").await;
    let started = std::time::Instant::now();
    tab1.send_to("sleeper", "wait").await;
    let seen1 = tab1.recv_run().await;
    let seen2 = tab2.recv_run().await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    for events in [&seen1, &seen2] {
        assert_cancelled_run(events, "ran out of its time budget (300ms)");
    }
    assert_eq!(seen1, seen2);
    assert_quiet(&mut tab1, Duration::from_millis(50)).await;
    assert_eq!(t.server.active_runs(), 0);
}

#[tokio::test]
async fn cancel_run_during_an_open_tool_call() {
    let t = start_hub(hub(None), config()).await;
    let mut tab = Client::connect(&t.url, "alice").await;
    tab.send_to("polite", "wait").await;
    let opened = recv_until(&mut tab, "tool_executing").await;
    let run_id = opened[0]["run_id"].as_str().unwrap().to_owned();
    send_cancel(&mut tab, &run_id).await;
    let mut events = opened;
    events.extend(tab.recv_run().await);
    assert_cancelled_run(&events, "cancelled by the user");
    assert_eq!(
        events[2]["payload"]["tool_call_id"],
        events[1]["payload"]["tool_call_id"]
    );
    // The agent's emits after its run ended are dropped, and the run's
    // place is free again.
    assert_quiet(&mut tab, Duration::from_millis(100)).await;
    assert_eq!(t.server.active_runs(), 0);
}

#[tokio::test]
async fn a_second_tab_cancels_the_run_of_the_first_and_both_see_it_end() {
    let t = start_hub(hub(None), config()).await;
    let mut tab1 = Client::connect(&t.url, "alice").await;
    let mut tab2 = Client::connect(&t.url, "alice").await;
    tab1.send_to("sleeper", "wait").await;
    let opened = recv_until(&mut tab2, "tool_executing").await;
    let run_id = opened[0]["run_id"].as_str().unwrap().to_owned();
    send_cancel(&mut tab2, &run_id).await;
    let mut seen2 = opened;
    seen2.extend(tab2.recv_run().await);
    let seen1 = tab1.recv_run().await;
    assert_cancelled_run(&seen1, "cancelled by the user");
    assert_eq!(seen1, seen2);
    // The run is over: cancelling it again is refused.
    send_cancel(&mut tab1, &run_id).await;
    let replies = drain_replies(&mut tab1).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["payload"]["code"], "unknown_run");
}

#[tokio::test]
async fn another_users_run_cannot_be_cancelled() {
    let t = start_hub(hub(None), config()).await;
    let mut alice = Client::connect(&t.url, "alice").await;
    let mut bob = Client::connect(&t.url, "bob").await;
    alice.send_to("sleeper", "wait").await;
    let opened = recv_until(&mut alice, "tool_executing").await;
    let run_id = opened[0]["run_id"].as_str().unwrap().to_owned();

    for id in [run_id.as_str(), "run_that_never_was"] {
        send_cancel(&mut bob, id).await;
        let replies = drain_replies(&mut bob).await;
        assert_eq!(replies.len(), 1, "{replies:?}");
        assert_eq!(replies[0]["type"], "error");
        assert_eq!(replies[0]["payload"]["code"], "unknown_run");
        let message = replies[0]["payload"]["message"].as_str().unwrap();
        assert!(!message.contains("alice"), "{message}");
    }
    // Nothing happened to alice's run: it is still going, and hers to cancel.
    assert_quiet(&mut alice, Duration::from_millis(100)).await;
    assert_eq!(t.server.active_runs(), 1);
    send_cancel(&mut alice, &run_id).await;
    let mut events = opened;
    events.extend(alice.recv_run().await);
    assert_cancelled_run(&events, "cancelled by the user");
}

#[tokio::test]
async fn malformed_cancel_run_frames_get_invalid_payload() {
    let t = start_hub(hub(None), config()).await;
    let mut tab = Client::connect(&t.url, "alice").await;
    for frame in [
        json!({ "type": "cancel_run" }),
        json!({ "type": "cancel_run", "payload": { "run_id": 7 } }),
        json!({ "type": "cancel_run", "payload": { "run_id": "" } }),
    ] {
        tab.send(frame).await;
    }
    let replies = drain_replies(&mut tab).await;
    let codes: Vec<&Value> = replies.iter().map(|r| &r["payload"]["code"]).collect();
    assert_eq!(codes, ["invalid_payload"; 3]);
}

#[tokio::test]
async fn the_run_cap_holds_when_three_tabs_race() {
    let config = config().max_runs_per_user(2);
    let t = start_hub(hub(None), config).await;
    let mut tabs = Vec::new();
    for _ in 0..3 {
        tabs.push(Client::connect(&t.url, "alice").await);
    }
    // Every tab sends before any reads.
    for tab in &mut tabs {
        tab.send_to("sleeper", "wait").await;
    }
    let mut refused = 0;
    let mut run_ids = Vec::new();
    for tab in &mut tabs {
        let mut seen = Vec::new();
        while seen
            .iter()
            .filter(|e: &&Value| e["type"] == "tool_executing")
            .count()
            < 2
        {
            seen.push(tab.recv().await);
        }
        seen.extend(drain_replies(tab).await);
        for frame in &seen {
            match frame["type"].as_str().unwrap() {
                "error" => {
                    assert_eq!(frame["payload"]["code"], "too_many_runs", "{frame}");
                    refused += 1;
                }
                "agent_started" => run_ids.push(frame["run_id"].as_str().unwrap().to_owned()),
                _ => {}
            }
        }
    }
    assert_eq!(refused, 1, "exactly one of the three is over the cap");
    run_ids.sort();
    run_ids.dedup();
    assert_eq!(run_ids.len(), 2, "two runs, seen by every tab");
    assert_eq!(t.server.active_runs(), 2);

    // A cancelled run frees its place.
    send_cancel(&mut tabs[0], &run_ids[0]).await;
    tabs[0].recv_run().await;
    tabs[0].send_to("researcher", "h100").await;
    let events = tabs[0].recv_run().await;
    assert_eq!(events.last().unwrap()["payload"]["status"], "completed");
}

#[tokio::test]
async fn the_cap_frees_as_runs_end_by_panic_failure_or_budget() {
    let config = config().max_runs_per_user(1);
    let t = start_hub(hub(Some(Duration::from_millis(150))), config).await;
    let mut tab = Client::connect(&t.url, "alice").await;
    for (agent, content, status) in [
        ("panicker", "boom", "failed"),
        ("researcher", "please fail", "failed"),
        ("sleeper", "wait", "cancelled"),
        ("researcher", "h100", "completed"),
    ] {
        tab.send_to(agent, content).await;
        let events = tab.recv_run().await;
        assert_eq!(
            events.last().unwrap()["payload"]["status"],
            status,
            "{agent}"
        );
    }
    // While one runs, the next is refused.
    tab.send_to("sleeper", "wait").await;
    recv_until(&mut tab, "tool_executing").await;
    tab.send_to("researcher", "h100").await;
    let replies = drain_replies(&mut tab).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["payload"]["code"], "too_many_runs");
    let message = replies[0]["payload"]["message"].as_str().unwrap();
    assert!(message.contains("1 run"), "{message}");
}

#[tokio::test]
async fn a_run_outlives_the_tab_that_started_it() {
    let t = start_hub(hub(None), config()).await;
    let mut tab1 = Client::connect(&t.url, "alice").await;
    let mut tab2 = Client::connect(&t.url, "alice").await;
    tab1.send_to("slow", "keep going").await;
    recv_until(&mut tab1, "tool_executing").await;
    tab1.ws.close(None).await.unwrap();
    drop(tab1);
    let events = tab2.recv_run().await;
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    assert_eq!(events[3]["payload"]["status"], "completed");
    assert_eq!(events[3]["payload"]["result"]["answer"], "keep going");
}
