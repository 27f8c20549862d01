//! The event size limit, end to end in process: lifecycle events over
//! `max_event_size` arrive cut short and marked, custom ones are refused.

mod support;

use agentwire::prelude::*;
use agentwire::{Error, Subscription};
use serde_json::{json, Value};

const LIMIT: usize = 64 * 1024;

/// The most bytes `seq` can take; the limit counts it at that.
const SEQ_DIGITS: usize = 20;

#[agentwire::agent_event]
#[allow(non_camel_case_types)]
pub struct attachment {
    pub text: String,
}

async fn subscribed(user: &str) -> (Hub, UserWebSocketManager, Subscription) {
    let hub = Hub::builder()
        .max_event_size(LIMIT)
        .build()
        .expect("a 64 KiB limit is valid");
    let (manager, events) = support::subscribed_on(&hub, user, "t").await;
    (hub, manager, events)
}

/// The next event, checked to be valid JSON within the limit, and its size.
async fn next(events: &mut Subscription, ty: &str) -> (Value, usize) {
    let event = events.recv().await.expect("an event");
    let size = event.as_str().len();
    assert!(size <= LIMIT, "{ty} is {size} bytes");
    let json: Value = serde_json::from_str(event.as_str()).expect("valid JSON");
    assert_eq!(json["type"], ty);
    assert_eq!(json["seq"], event.seq());
    (json, size)
}

#[tokio::test]
async fn a_tool_result_over_the_limit_arrives_cut_and_the_run_completes() {
    let (_hub, manager, mut events) = subscribed("alice").await;
    let rows = json!({ "rows": vec!["0123456789"; 25_000] });
    let text = json!("🚀".repeat(75_000));
    assert!(serde_json::to_vec(&rows).unwrap().len() > 300_000);
    assert!(text.as_str().unwrap().len() == 300_000);

    let run = emit!(
        manager.bridge(),
        agent_started {
            agent_name: "researcher"
        }
    );
    let call = emit!(
        run,
        tool_executing {
            tool_name: "search"
        }
    );
    emit!(
        call,
        tool_completed {
            result: rows.clone()
        }
    );
    let call = emit!(run, tool_executing { tool_name: "read" });
    emit!(
        call,
        tool_completed {
            result: text.clone()
        }
    );
    emit!(
        run,
        agent_completed {
            result: json!({"answer": 3})
        }
    );

    next(&mut events, "agent_started").await;
    next(&mut events, "tool_executing").await;
    let (json, _) = next(&mut events, "tool_completed").await;
    let payload = &json["payload"];
    assert_eq!(payload["truncated"], true);
    assert_eq!(payload["status"], "success");
    assert_eq!(payload["tool_name"], "search");
    let bytes = serde_json::to_vec(&rows).unwrap().len();
    assert_eq!(
        payload["result"],
        json!({"truncated": true, "bytes": bytes})
    );

    next(&mut events, "tool_executing").await;
    let (json, size) = next(&mut events, "tool_completed").await;
    let payload = &json["payload"];
    assert_eq!(payload["truncated"], true);
    assert_eq!(payload["tool_name"], "read");
    let kept = payload["result"].as_str().expect("a cut string");
    let kept = kept.strip_suffix('…').expect("ends with …");
    assert!(text.as_str().unwrap().starts_with(kept));
    // The cut string takes the room there is, less a char or two.
    assert!(size + SEQ_DIGITS + 8 >= LIMIT, "{size}");

    let (json, _) = next(&mut events, "agent_completed").await;
    assert_eq!(json["payload"]["result"], json!({"answer": 3}));
    assert!(json["payload"].get("truncated").is_none());
}

#[tokio::test]
async fn an_event_at_the_limit_arrives_untouched_and_one_byte_more_is_cut() {
    let (_hub, manager, mut events) = subscribed("bob").await;
    let run = emit!(
        manager.bridge(),
        agent_started {
            agent_name: "researcher"
        }
    );
    emit!(run, agent_thinking { reasoning: "" });
    next(&mut events, "agent_started").await;
    let (empty, size) = next(&mut events, "agent_thinking").await;
    // Every byte of `reasoning` adds one to the envelope; `seq` stays one
    // digit, and the limit counts it at twenty.
    let seq = empty["seq"].to_string().len();
    let fits = LIMIT - (size - seq + SEQ_DIGITS);

    let reasoning = "x".repeat(fits);
    emit!(
        run,
        agent_thinking {
            reasoning: reasoning.clone()
        }
    );
    let (json, size) = next(&mut events, "agent_thinking").await;
    assert_eq!(size - seq + SEQ_DIGITS, LIMIT);
    assert_eq!(json["payload"], json!({ "reasoning": reasoning }));

    emit!(
        run,
        agent_thinking {
            reasoning: "x".repeat(fits + 1)
        }
    );
    let (json, _) = next(&mut events, "agent_thinking").await;
    assert_eq!(json["payload"]["truncated"], true);
    let kept = json["payload"]["reasoning"].as_str().unwrap();
    assert!(kept.ends_with('…') && kept.len() < fits + 1);
}

#[tokio::test]
async fn a_custom_event_over_the_limit_is_refused_and_uses_no_seq() {
    let (_hub, manager, mut events) = subscribed("carol").await;
    let run = emit!(
        manager.bridge(),
        agent_started {
            agent_name: "researcher"
        }
    );

    let refused = emit!(
        run,
        attachment {
            text: "x".repeat(100_000)
        }
    );
    match refused {
        Err(Error::EventTooLarge { event, size, limit }) => {
            assert_eq!((event, limit), ("attachment", LIMIT));
            assert!(size > 100_000, "{size}");
        }
        other => panic!("expected EventTooLarge, got {other:?}"),
    }
    emit!(run, attachment { text: "small" }).expect("a small event is emitted");
    emit!(run, agent_completed {});

    let (started, _) = next(&mut events, "agent_started").await;
    let (custom, _) = next(&mut events, "attachment").await;
    assert_eq!(custom["payload"], json!({ "text": "small" }));
    assert_eq!(custom["seq"], started["seq"].as_u64().unwrap() + 1);
    let (completed, _) = next(&mut events, "agent_completed").await;
    assert_eq!(completed["seq"], started["seq"].as_u64().unwrap() + 2);
    assert_eq!(manager.last_seq(), 3);
}
