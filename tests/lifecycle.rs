//! The lifecycle an agent's events follow, whatever happens to the agent:
//! every run starts once and ends once, every tool call closes once, and
//! nothing of a run follows its `agent_completed`.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use agentwire::prelude::*;
use agentwire::Subscription;
use futures_util::FutureExt;
use serde_json::{json, Value};
use support::{subscribed, types};

// ---- The canonical usage, exactly as the README teaches it --------------------

#[rustfmt::skip]
async fn answer(factory: &WebSocketManagerFactory, user: UserId) -> Result<(), agentwire::Error> {
    let ctx = UserExecutionContext::new(user, ThreadId::new("thread-1")?);
    let manager = factory.create_manager(&ctx).await?;      // the one factory, async
    let bridge = manager.bridge();                           // bound to ctx's user and thread
    let run = emit!(bridge, agent_started { agent_name: "researcher" });
    emit!(run, agent_thinking { reasoning: "Looking for GPU prices" });
    let call = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": "h100"}) });
    emit!(call, tool_completed { result: json!({"hits": 3}) });
    emit!(run, agent_completed { result: json!({"answer": "3 offers"}) });
    Ok(())
}

// ---- The handler form, exactly as the README teaches it ----------------------

#[rustfmt::skip]
#[agent(name = "researcher")]
async fn researcher(run: &Run, msg: UserMessage) -> Result<serde_json::Value, AgentError> {
    emit!(run, agent_thinking { reasoning: format!("Reading: {}", msg.content) });
    let call = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": msg.content}) });
    let hits = search(&msg.content).await;
    emit!(call, tool_completed { result: json!(hits) });
    Ok(json!({ "answer": hits.len() }))
}

// -----------------------------------------------------------------------------

async fn search(q: &str) -> Vec<String> {
    tokio::task::yield_now().await;
    vec![format!("{q} offer 1"), format!("{q} offer 2")]
}

/// Receives every event emitted so far (`manager.last_seq()` of them).
async fn drain(manager: &UserWebSocketManager, events: &mut Subscription) -> Vec<Value> {
    drain_from(manager, events, 0).await
}

/// Receives the events after `last` up to `manager.last_seq()`.
async fn drain_from(
    manager: &UserWebSocketManager,
    events: &mut Subscription,
    mut last: u64,
) -> Vec<Value> {
    let mut out = Vec::new();
    while last < manager.last_seq() {
        let event = events.recv().await.expect("an event");
        assert_eq!(event.seq(), last + 1, "seq is gap-free");
        last = event.seq();
        out.push(event.to_json());
    }
    out
}

/// Checks each run's own order and returns the events grouped by run.
///
/// Per `run_id`: `agent_started` first, `agent_completed` last and exactly
/// once, every `tool_executing` followed by exactly one `tool_completed` of
/// the same `tool_call_id` (and no `tool_completed` without one), all of
/// them before `agent_completed`.
fn check_runs(events: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut runs: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in events {
        let run_id = e["run_id"].as_str().expect("run_id").to_owned();
        runs.entry(run_id).or_default().push(e.clone());
    }
    for (run_id, run) in &runs {
        let ts = types(run);
        assert_eq!(ts[0], "agent_started", "run {run_id}: {ts:?}");
        assert_eq!(
            *ts.last().unwrap(),
            "agent_completed",
            "run {run_id}: {ts:?}"
        );
        assert_eq!(
            ts.iter().filter(|t| **t == "agent_started").count(),
            1,
            "{ts:?}"
        );
        assert_eq!(
            ts.iter().filter(|t| **t == "agent_completed").count(),
            1,
            "{ts:?}"
        );
        let mut open = BTreeSet::new();
        let mut closed = BTreeSet::new();
        for e in run {
            let p = &e["payload"];
            match e["type"].as_str().unwrap() {
                "tool_executing" => {
                    let id = p["tool_call_id"].as_str().unwrap().to_owned();
                    assert!(
                        !closed.contains(&id) && open.insert(id),
                        "run {run_id}: {ts:?}"
                    );
                }
                "tool_completed" => {
                    let id = p["tool_call_id"].as_str().unwrap().to_owned();
                    assert!(
                        open.remove(&id),
                        "run {run_id}: completed {id} was not open"
                    );
                    closed.insert(id);
                }
                "agent_completed" => {
                    assert!(
                        open.is_empty(),
                        "run {run_id} ended with open calls {open:?}"
                    )
                }
                _ => {}
            }
            assert_eq!(e["agent_name"], run[0]["agent_name"]);
            assert_eq!(e["thread_id"], run[0]["thread_id"]);
            assert_eq!(e["user_id"], run[0]["user_id"]);
        }
    }
    runs
}

#[tokio::test]
async fn canonical_usage_emits_the_five_events_in_order() {
    let (hub, manager, mut events) = subscribed("alice", "thread-1").await;
    answer(&hub.factory(), UserId::new("alice").unwrap())
        .await
        .expect("canonical usage works");
    let events = drain(&manager, &mut events).await;
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
    check_runs(&events);
    assert_eq!(events[0]["agent_name"], "researcher");
    assert_eq!(events[0]["thread_id"], "thread-1");
    assert_eq!(events[1]["payload"]["reasoning"], "Looking for GPU prices");
    assert_eq!(events[2]["payload"]["parameters"], json!({"q": "h100"}));
    assert_eq!(events[3]["payload"]["result"], json!({"hits": 3}));
    assert_eq!(events[4]["payload"]["status"], "completed");
    assert_eq!(
        events[4]["payload"]["result"],
        json!({"answer": "3 offers"})
    );
}

#[tokio::test]
async fn handler_form_emits_the_five_events_in_order() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    assert_eq!(researcher.name(), "researcher");
    let outcome = researcher
        .handle(manager.bridge(), UserMessage::new("h100"))
        .await;
    assert_eq!(outcome.status(), RunStatus::Completed);
    let events = drain(&manager, &mut events).await;
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
    check_runs(&events);
    assert_eq!(events[0]["run_id"], outcome.run_id().as_str());
    assert_eq!(events[0]["agent_name"], "researcher");
    assert_eq!(events[1]["payload"]["reasoning"], "Reading: h100");
    assert_eq!(events[2]["payload"]["parameters"], json!({"q": "h100"}));
    assert_eq!(events[3]["payload"]["status"], "success");
    assert_eq!(
        events[3]["payload"]["result"],
        json!(["h100 offer 1", "h100 offer 2"])
    );
    assert_eq!(events[4]["payload"]["status"], "completed");
    assert_eq!(events[4]["payload"]["result"], json!({"answer": 2}));
}

#[agent(name = "busy")]
async fn busy(run: &Run, msg: UserMessage) -> Result<u32, AgentError> {
    let n: u32 = msg.content.parse().map_err(AgentError::from)?;
    for step in 0..3u32 {
        emit!(
            run,
            agent_thinking {
                reasoning: format!("{n}/{step}"),
                step_number: step
            }
        );
        tokio::task::yield_now().await;
    }
    let a = emit!(run, tool_executing { tool_name: "a" });
    let b = emit!(run, tool_executing { tool_name: "b" });
    tokio::task::yield_now().await;
    emit!(b, tool_completed { result: json!(n) });
    tokio::task::yield_now().await;
    if matches!(n % 3, 0) {
        drop(a);
        return Err(AgentError::new(format!("run {n} failed")));
    }
    emit!(a, tool_completed { result: json!(n) });
    Ok(n)
}

async fn manual(bridge: AgentBridge, n: u32) {
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "manual"
        }
    );
    for step in 0..3u32 {
        emit!(
            run,
            agent_thinking {
                reasoning: format!("{n}/{step}")
            }
        );
        tokio::task::yield_now().await;
        let call = emit!(run, tool_executing { tool_name: "t" });
        tokio::task::yield_now().await;
        emit!(
            call,
            tool_completed {
                result: json!(step)
            }
        );
    }
    if matches!(n % 4, 0) {
        return; // dropped: agent_completed failed
    }
    emit!(run, agent_completed { result: json!(n) });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runs_of_one_user_interleave_but_each_is_legal() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let mut tasks = Vec::new();
    for n in 1..=20u32 {
        let bridge = manager.bridge();
        tasks.push(tokio::spawn(async move {
            if matches!(n % 2, 0) {
                manual(bridge, n).await;
            } else {
                busy.handle(bridge, UserMessage::new(n.to_string())).await;
            }
        }));
    }
    // One more whose handler fails on its first `?`.
    let bridge = manager.bridge();
    tasks.push(tokio::spawn(async move {
        busy.handle(bridge, UserMessage::new("not a number")).await;
    }));
    for task in tasks {
        task.await.expect("no task panicked");
    }
    let events = drain(&manager, &mut events).await;
    let runs = check_runs(&events);
    assert_eq!(runs.len(), 21);

    let mut interleaved = false;
    for window in events.windows(2) {
        interleaved |=
            window[0]["run_id"] != window[1]["run_id"] && window[0]["type"] != "agent_completed";
    }
    assert!(interleaved, "runs of one user run concurrently");

    let mut expected_len = 0;
    for run in runs.values() {
        let end = &run.last().unwrap()["payload"];
        let agent = run[0]["agent_name"].as_str().unwrap();
        let n: Option<u32> = run
            .iter()
            .find(|e| e["type"] == "agent_thinking")
            .and_then(|e| e["payload"]["reasoning"].as_str())
            .and_then(|r| r.split('/').next())
            .and_then(|n| n.parse().ok());
        match (agent, n) {
            ("busy", None) => {
                assert_eq!(run.len(), 2, "{run:?}");
                assert_eq!(end["status"], "failed");
                assert!(
                    end["error"].as_str().unwrap().contains("invalid digit"),
                    "{end}"
                );
            }
            ("busy", Some(n)) if matches!(n % 3, 0) => {
                assert_eq!(run.len(), 1 + 3 + 4 + 1);
                assert_eq!(end["status"], "failed");
                assert_eq!(end["error"], format!("run {n} failed"));
                let cancelled: Vec<_> = run
                    .iter()
                    .filter(|e| e["payload"]["status"] == "cancelled")
                    .map(|e| e["payload"]["tool_name"].clone())
                    .collect();
                assert_eq!(cancelled, [json!("a")]);
            }
            ("busy", Some(n)) => {
                assert_eq!(run.len(), 1 + 3 + 4 + 1);
                assert_eq!(end["status"], "completed");
                assert_eq!(end["result"], n);
            }
            ("manual", Some(n)) => {
                assert_eq!(run.len(), 1 + 3 * 3 + 1);
                if matches!(n % 4, 0) {
                    assert_eq!(end["status"], "failed");
                } else {
                    assert_eq!(end["status"], "completed");
                    assert_eq!(end["result"], n);
                }
            }
            other => panic!("unexpected run {other:?}"),
        }
        expected_len += run.len();
    }
    assert_eq!(events.len(), expected_len);
    assert_eq!(
        events.len(),
        10 * 9 + 10 * 11 + 2,
        "10 handler runs, 10 manual runs, 1 early failure"
    );
}

// ---- early return -----------------------------------------------------------

async fn fetch(fail: bool) -> Result<u32, AgentError> {
    tokio::task::yield_now().await;
    if fail {
        Err(AgentError::new("upstream returned 503"))
    } else {
        Ok(7)
    }
}

async fn manual_with_question_mark(bridge: &AgentBridge) -> Result<(), AgentError> {
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "manual"
        }
    );
    let call = emit!(run, tool_executing { tool_name: "fetch" });
    let value = fetch(true).await?;
    emit!(
        call,
        tool_completed {
            result: json!(value)
        }
    );
    emit!(run, agent_completed {});
    Ok(())
}

#[agent(name = "early")]
async fn early(run: &Run, _msg: UserMessage) -> Result<u32, AgentError> {
    let ok = emit!(run, tool_executing { tool_name: "first" });
    let failing = emit!(run, tool_executing { tool_name: "fetch" });
    emit!(
        ok,
        tool_completed {
            result: json!(fetch(false).await?)
        }
    );
    let value = fetch(true).await?;
    emit!(
        failing,
        tool_completed {
            result: json!(value)
        }
    );
    Ok(value)
}

#[tokio::test]
async fn early_return_closes_every_tool_call_and_the_run_once() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;

    let err = manual_with_question_mark(&manager.bridge())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "upstream returned 503");
    let outcome = early.handle(manager.bridge(), UserMessage::new("go")).await;
    assert_eq!(outcome.status(), RunStatus::Failed);

    let events = drain(&manager, &mut events).await;
    let runs = check_runs(&events);
    assert_eq!(runs.len(), 2);
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "agent_completed",
            "agent_started",
            "tool_executing",
            "tool_executing",
            "tool_completed",
            "tool_completed",
            "agent_completed",
        ]
    );
    // The manual run: the call and the run close themselves.
    assert_eq!(events[2]["payload"]["status"], "cancelled");
    assert_eq!(events[3]["payload"]["status"], "failed");
    // The handler: `first` succeeded, `fetch` was cancelled, the run failed
    // with the error's message.
    assert_eq!(events[7]["payload"]["tool_name"], "first");
    assert_eq!(events[7]["payload"]["status"], "success");
    assert_eq!(events[8]["payload"]["tool_name"], "fetch");
    assert_eq!(events[8]["payload"]["status"], "cancelled");
    assert_eq!(events[9]["run_id"], outcome.run_id().as_str());
    assert_eq!(events[9]["payload"]["status"], "failed");
    assert_eq!(events[9]["payload"]["error"], "upstream returned 503");
}

// ---- panic ------------------------------------------------------------------

#[agent(name = "panicky")]
async fn panicky(run: &Run, msg: UserMessage) -> Result<(), AgentError> {
    let _call = emit!(
        run,
        tool_executing {
            tool_name: "explode"
        }
    );
    tokio::task::yield_now().await;
    if !msg.content.is_empty() {
        panic!("boom: {}", msg.content);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_fails_its_run_and_the_process_survives() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let outcome = tokio::spawn(panicky.handle(manager.bridge(), UserMessage::new("kaboom")))
        .await
        .expect("the panic does not escape the handler");
    assert_eq!(outcome.status(), RunStatus::Failed);

    let events = drain(&manager, &mut events).await;
    check_runs(&events);
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    assert_eq!(events[2]["payload"]["status"], "cancelled");
    assert_eq!(events[3]["payload"]["status"], "failed");
    let error = events[3]["payload"]["error"].as_str().unwrap();
    assert!(
        error.contains("boom: kaboom"),
        "the panic message is reported: {error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_task_with_a_manual_run_fails_it() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let bridge = manager.bridge();
    let task = tokio::spawn(async move {
        let run = emit!(
            bridge,
            agent_started {
                agent_name: "manual"
            }
        );
        let _call = emit!(
            run,
            tool_executing {
                tool_name: "explode"
            }
        );
        tokio::task::yield_now().await;
        panic!("boom");
    });
    assert!(task.await.unwrap_err().is_panic());

    let events = drain(&manager, &mut events).await;
    check_runs(&events);
    assert_eq!(events.len(), 4);
    assert_eq!(events[2]["payload"]["status"], "cancelled");
    assert_eq!(events[3]["payload"]["status"], "failed");
}

// ---- task abort -------------------------------------------------------------

#[agent(name = "forever")]
async fn forever(run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    let done = emit!(run, tool_executing { tool_name: "quick" });
    emit!(done, tool_completed {});
    let _a = emit!(
        run,
        tool_executing {
            tool_name: "slow-a"
        }
    );
    let _b = emit!(
        run,
        tool_executing {
            tool_name: "slow-b"
        }
    );
    std::future::pending::<()>().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_handler_is_cancelled_after_its_open_tool_calls() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let task = tokio::spawn(forever.handle(manager.bridge(), UserMessage::new("hi")));

    // Wait until both slow calls are open.
    let mut seen = Vec::new();
    while seen.len() < 5 {
        seen.push(events.recv().await.unwrap().to_json());
    }
    assert_eq!(seen[4]["payload"]["tool_name"], "slow-b");
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());

    seen.extend(drain_from(&manager, &mut events, 5).await);
    let mut events = seen;
    check_runs(&events);
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "tool_executing",
            "tool_executing",
            "tool_completed",
            "tool_completed",
            "agent_completed",
        ]
    );
    let end = events.pop().unwrap();
    assert_eq!(end["payload"]["status"], "cancelled");
    let closed: BTreeSet<_> = events[5..]
        .iter()
        .map(|e| {
            assert_eq!(e["payload"]["status"], "cancelled");
            e["payload"]["tool_name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(closed, BTreeSet::from(["slow-a".into(), "slow-b".into()]));
}

#[tokio::test]
async fn a_dropped_handler_future_is_cancelled() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let mut future = forever.handle(manager.bridge(), UserMessage::new("hi"));
    // One poll parks it on `pending()` with two calls open; then drop it.
    assert!((&mut future).now_or_never().is_none());
    assert_eq!(manager.last_seq(), 5);
    drop(future);
    let events = drain(&manager, &mut events).await;
    check_runs(&events);
    assert_eq!(events.len(), 8);
    assert_eq!(events[7]["payload"]["status"], "cancelled");
}

// ---- manual runs and tool calls ---------------------------------------------

#[tokio::test]
async fn a_manual_run_dropped_without_agent_completed_fails() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let bridge = manager.bridge();
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "manual"
        }
    );
    emit!(run, agent_thinking { reasoning: "hmm" });
    drop(run);
    let events = drain(&manager, &mut events).await;
    check_runs(&events);
    assert_eq!(
        types(&events),
        ["agent_started", "agent_thinking", "agent_completed"]
    );
    assert_eq!(events[2]["payload"]["status"], "failed");
    assert!(events[2]["payload"]["error"].is_string());
}

#[tokio::test]
async fn a_leaked_tool_call_is_still_closed_before_agent_completed() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let bridge = manager.bridge();
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "leaky"
        }
    );
    let call = emit!(
        run,
        tool_executing {
            tool_name: "search"
        }
    );
    let call_id = call.id().clone();
    // Safe code can skip a destructor; the run still closes the call.
    std::mem::forget(call);
    emit!(run, agent_completed {});
    let events = drain(&manager, &mut events).await;
    check_runs(&events);
    assert_eq!(
        types(&events),
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    assert_eq!(events[2]["payload"]["tool_call_id"], call_id.as_str());
    assert_eq!(events[2]["payload"]["status"], "cancelled");
    assert_eq!(events[3]["payload"]["status"], "completed");
}

#[tokio::test]
async fn several_tool_calls_may_be_open_at_once() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let bridge = manager.bridge();
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "manual"
        }
    );
    let a = emit!(run, tool_executing { tool_name: "a" });
    let b = emit!(run, tool_executing { tool_name: "b" });
    let c = emit!(run, tool_executing { tool_name: "c" });
    assert_ne!(a.id(), b.id());
    assert_eq!(b.run().id(), run.id());
    emit!(c, tool_completed { result: json!("c") });
    emit!(a, tool_completed { error: "a failed" });
    drop(b);
    emit!(run, agent_completed {});

    let events = drain(&manager, &mut events).await;
    check_runs(&events);
    let closed: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["type"] == "tool_completed")
        .map(|e| {
            (
                e["payload"]["tool_name"].as_str().unwrap(),
                e["payload"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        closed,
        [("c", "success"), ("a", "error"), ("b", "cancelled")]
    );
    assert_eq!(events.last().unwrap()["payload"]["status"], "completed");
    assert_eq!(events.len(), 8);
}
