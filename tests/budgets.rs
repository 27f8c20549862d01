//! Time budgets in process: runs started by hand take one with
//! `Run::set_budget`, runs of agents get the hub's default; past it the run
//! ends `cancelled`, and nothing of it follows its `agent_completed`.

mod support;

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::{Subscription, WireEvent};
use serde_json::{json, Value};
use support::{subscribed, subscribed_on};

#[agent_event]
struct progress_update {
    percent: u8,
}

async fn next(events: &mut Subscription) -> Value {
    let event: WireEvent = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event")
        .expect("the subscription is live");
    event.to_json()
}

/// Every event already delivered.
async fn pending(events: &mut Subscription) -> Vec<Value> {
    let mut out = Vec::new();
    while let Ok(Ok(event)) = tokio::time::timeout(Duration::from_millis(50), events.recv()).await {
        out.push(event.to_json());
    }
    out
}

#[tokio::test]
async fn a_manual_run_past_its_budget_ends_and_later_emits_are_dropped() {
    let (_hub, manager, mut events) = subscribed("alice", "t").await;
    let bridge = manager.bridge();
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "importer"
        }
    );
    run.set_budget(Duration::from_millis(100)).unwrap();
    let call = emit!(
        run,
        tool_executing {
            tool_name: "download"
        }
    );
    assert!(!run.is_cancelled());
    tokio::time::timeout(Duration::from_secs(10), run.cancelled())
        .await
        .expect("the budget runs out");
    assert!(run.is_cancelled());

    // The run ended by itself: open call cancelled, then agent_completed.
    let got: Vec<Value> = [
        next(&mut events).await,
        next(&mut events).await,
        next(&mut events).await,
        next(&mut events).await,
    ]
    .into();
    let types: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    assert_eq!(got[2]["payload"]["status"], "cancelled");
    assert_eq!(got[3]["payload"]["status"], "cancelled");
    assert_eq!(
        got[3]["payload"]["error"],
        "the run ran out of its time budget (100ms)"
    );

    // Whatever the owner does next is dropped.
    emit!(
        run,
        agent_thinking {
            reasoning: "still here"
        }
    );
    let late = emit!(run, tool_executing { tool_name: "late" });
    emit!(late, tool_completed { result: json!(1) });
    emit!(
        call,
        tool_completed {
            result: json!("done")
        }
    );
    match emit!(run, progress_update { percent: 100 }) {
        Err(agentwire::Error::RunEnded {
            event: "progress_update",
        }) => {}
        other => panic!("{other:?}"),
    }
    emit!(
        run,
        agent_completed {
            result: json!("done")
        }
    );
    assert_eq!(pending(&mut events).await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_run_that_ends_in_time_is_not_touched_by_its_budget() {
    let (_hub, manager, mut events) = subscribed("bob", "t").await;
    let bridge = manager.bridge();
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "quick"
        }
    );
    run.set_budget(Duration::from_millis(50)).unwrap();
    emit!(
        run,
        agent_completed {
            result: json!("done")
        }
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let got = pending(&mut events).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1]["payload"]["status"], "completed");
}

#[test]
fn set_budget_outside_a_runtime_is_an_error_not_a_panic() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (_hub, manager, _events) = rt.block_on(subscribed("carol", "t"));
    let bridge = manager.bridge();
    let run = emit!(bridge, agent_started { agent_name: "sync" });
    let err = run.set_budget(Duration::from_secs(1)).unwrap_err();
    assert!(err.to_string().contains("tokio runtime"), "{err}");
    emit!(run, agent_completed {});
}

/// Waits forever, ignoring cancellation: the driver stops awaiting it.
#[agent(name = "stubborn")]
async fn stubborn(run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    let _call = emit!(
        run,
        tool_executing {
            tool_name: "forever"
        }
    );
    std::future::pending::<()>().await;
    Ok(())
}

#[tokio::test]
async fn an_agent_run_gets_the_hubs_default_budget() {
    let hub = Hub::builder()
        .agent(stubborn)
        .run_budget(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    let (manager, mut events) = subscribed_on(&hub, "dave", "t").await;
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        stubborn.handle(manager.bridge(), UserMessage::new("hi")),
    )
    .await
    .expect("the budget ends the run");
    assert_eq!(outcome.status(), RunStatus::Cancelled);
    let got = pending(&mut events).await;
    let types: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "agent_started",
            "tool_executing",
            "tool_completed",
            "agent_completed"
        ]
    );
    assert_eq!(got[3]["payload"]["status"], "cancelled");
    assert_eq!(
        got[3]["payload"]["error"],
        "the run ran out of its time budget (100ms)"
    );
}

#[test]
fn a_zero_budget_is_a_configuration_error() {
    let err = Hub::builder()
        .run_budget(Some(Duration::ZERO))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("run_budget"), "{err}");
}
