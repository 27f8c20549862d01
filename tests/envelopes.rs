//! Golden JSON of every envelope: exact keys, value types and values, as a
//! browser receives them.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use agentwire::prelude::*;
use agentwire::{Error, Subscription, WireEvent};
use serde_json::{json, Value};
use support::subscribed;

const ENVELOPE_KEYS: [&str; 9] = [
    "type",
    "seq",
    "event_id",
    "user_id",
    "thread_id",
    "run_id",
    "agent_name",
    "timestamp",
    "payload",
];

async fn next(events: &mut Subscription) -> (WireEvent, Value) {
    let event = events.recv().await.expect("an event");
    let json: Value = serde_json::from_str(event.as_str()).expect("the envelope is valid JSON");
    (event, json)
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("expected an object, got {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(keys: &[&'a str]) -> BTreeSet<&'a str> {
    keys.iter().copied().collect()
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Checks `YYYY-MM-DDTHH:MM:SS.mmmZ` and returns it as Unix milliseconds.
fn parse_timestamp(ts: &str) -> i64 {
    let b = ts.as_bytes();
    assert_eq!(
        b.len(),
        24,
        "timestamp {ts:?} is not YYYY-MM-DDTHH:MM:SS.mmmZ"
    );
    for (i, &c) in b.iter().enumerate() {
        let expected = match i {
            4 | 7 => Some(b'-'),
            10 => Some(b'T'),
            13 | 16 => Some(b':'),
            19 => Some(b'.'),
            23 => Some(b'Z'),
            _ => None,
        };
        match expected {
            Some(e) => assert_eq!(c, e, "timestamp {ts:?}, byte {i}"),
            None => assert!(c.is_ascii_digit(), "timestamp {ts:?}, byte {i}"),
        }
    }
    let n = |r: std::ops::Range<usize>| ts[r].parse::<i64>().unwrap();
    let (y, mo, d, h, mi, s, ms) = (
        n(0..4),
        n(5..7),
        n(8..10),
        n(11..13),
        n(14..16),
        n(17..19),
        n(20..23),
    );
    assert!((1..=12).contains(&mo) && (1..=31).contains(&d), "{ts}");
    assert!(h < 24 && mi < 60 && s < 60, "{ts}");
    ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The envelope part every event shares; returns the payload.
fn check_envelope<'a>(
    event: &WireEvent,
    json: &'a Value,
    ty: &str,
    seq: u64,
    user: &str,
    thread: &str,
    agent: &str,
) -> &'a Value {
    assert_eq!(keys(json), set(&ENVELOPE_KEYS), "{json}");
    assert!(
        event.as_str().starts_with(&format!("{{\"type\":\"{ty}\",")),
        "`type` comes first on the wire: {}",
        event.as_str()
    );
    assert_eq!(json["type"], ty);
    assert_eq!(event.event_type(), ty);
    assert_eq!(json["seq"].as_u64(), Some(seq), "{json}");
    assert_eq!(event.seq(), seq);
    assert_eq!(event.to_json(), *json);
    assert!(
        json["event_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{json}"
    );
    assert_eq!(json["user_id"], user);
    assert_eq!(json["thread_id"], thread);
    assert!(
        json["run_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{json}"
    );
    assert_eq!(json["agent_name"], agent);
    let ts = parse_timestamp(json["timestamp"].as_str().expect("timestamp is a string"));
    assert!(
        (now_ms() - ts).abs() < 60_000,
        "timestamp {} is not now (UTC)",
        json["timestamp"]
    );
    assert!(json["payload"].is_object(), "{json}");
    &json["payload"]
}

#[tokio::test]
async fn the_five_lifecycle_envelopes() {
    let (_hub, manager, mut events) = subscribed("alice", "thread-1").await;
    let bridge = manager.bridge();

    let run = emit!(
        bridge,
        agent_started {
            agent_name: "researcher"
        }
    );
    emit!(
        run,
        agent_thinking {
            reasoning: "Looking for GPU prices"
        }
    );
    let call = emit!(
        run,
        tool_executing {
            tool_name: "search",
            parameters: json!({"q": "h100"})
        }
    );
    emit!(
        call,
        tool_completed {
            result: json!({"hits": 3})
        }
    );
    let run_id = run.id().as_str().to_owned();
    emit!(
        run,
        agent_completed {
            result: json!({"answer": "3 offers"})
        }
    );

    let env = |e: &WireEvent, j: &Value, ty: &str, seq: u64| {
        let p = check_envelope(e, j, ty, seq, "alice", "thread-1", "researcher").clone();
        assert_eq!(j["run_id"], run_id.as_str());
        p
    };
    let mut event_ids = BTreeSet::new();

    let (e, j) = next(&mut events).await;
    let p = env(&e, &j, "agent_started", 1);
    assert_eq!(p, json!({}), "no message given, so no `message` key");
    event_ids.insert(j["event_id"].as_str().unwrap().to_owned());

    let (e, j) = next(&mut events).await;
    let p = env(&e, &j, "agent_thinking", 2);
    assert_eq!(p, json!({"reasoning": "Looking for GPU prices"}));
    event_ids.insert(j["event_id"].as_str().unwrap().to_owned());

    let (e, j) = next(&mut events).await;
    let p = env(&e, &j, "tool_executing", 3);
    assert_eq!(keys(&p), set(&["tool_call_id", "tool_name", "parameters"]));
    let call_id = p["tool_call_id"]
        .as_str()
        .expect("tool_call_id is a string");
    assert!(!call_id.is_empty());
    assert_eq!(p["tool_name"], "search");
    assert_eq!(p["parameters"], json!({"q": "h100"}));
    let call_id = call_id.to_owned();
    event_ids.insert(j["event_id"].as_str().unwrap().to_owned());

    let (e, j) = next(&mut events).await;
    let p = env(&e, &j, "tool_completed", 4);
    assert_eq!(
        keys(&p),
        set(&[
            "tool_call_id",
            "tool_name",
            "status",
            "result",
            "execution_time_ms"
        ])
    );
    assert_eq!(p["tool_call_id"], call_id.as_str());
    assert_eq!(p["tool_name"], "search");
    assert_eq!(p["status"], "success");
    assert_eq!(p["result"], json!({"hits": 3}));
    assert!(p["execution_time_ms"].is_u64(), "{p}");
    event_ids.insert(j["event_id"].as_str().unwrap().to_owned());

    let (e, j) = next(&mut events).await;
    let p = env(&e, &j, "agent_completed", 5);
    assert_eq!(keys(&p), set(&["status", "result", "execution_time_ms"]));
    assert_eq!(p["status"], "completed");
    assert_eq!(p["result"], json!({"answer": "3 offers"}));
    assert!(p["execution_time_ms"].is_u64(), "{p}");
    event_ids.insert(j["event_id"].as_str().unwrap().to_owned());

    assert_eq!(event_ids.len(), 5, "every event has its own event_id");
    assert_eq!(manager.last_seq(), 5);
}

#[tokio::test]
async fn optional_fields_appear_only_when_given() {
    let (_hub, manager, mut events) = subscribed("bob", "t").await;
    let bridge = manager.bridge();

    let run = emit!(
        bridge,
        agent_started {
            agent_name: "a",
            message: "on it"
        }
    );
    emit!(
        run,
        agent_thinking {
            reasoning: "r",
            step_number: 2u32,
            progress_percentage: 50.5
        }
    );
    emit!(
        run,
        agent_thinking {
            reasoning: "s",
            step_number: 3u32
        }
    );
    emit!(
        run,
        agent_thinking {
            reasoning: "t",
            progress_percentage: 100.0
        }
    );
    let call = emit!(
        run,
        tool_executing {
            tool_name: "noargs"
        }
    );
    emit!(call, tool_completed {});
    emit!(run, agent_completed {});

    let mut payloads = Vec::new();
    for seq in 1..=7 {
        let (e, j) = next(&mut events).await;
        let ty = e.event_type().to_owned();
        payloads.push(check_envelope(&e, &j, &ty, seq, "bob", "t", "a").clone());
    }
    assert_eq!(payloads[0], json!({"message": "on it"}));
    assert_eq!(
        payloads[1],
        json!({"reasoning": "r", "step_number": 2, "progress_percentage": 50.5})
    );
    assert!(payloads[1]["step_number"].is_u64());
    assert!(payloads[1]["progress_percentage"].is_f64());
    assert_eq!(payloads[2], json!({"reasoning": "s", "step_number": 3}));
    assert_eq!(
        payloads[3],
        json!({"reasoning": "t", "progress_percentage": 100.0})
    );
    assert_eq!(
        payloads[4]["parameters"],
        json!({}),
        "parameters default to {{}}"
    );
    assert_eq!(
        keys(&payloads[5]),
        set(&["tool_call_id", "tool_name", "status", "execution_time_ms"]),
        "no result, no error: neither key is sent"
    );
    assert_eq!(payloads[5]["status"], "success");
    assert_eq!(keys(&payloads[6]), set(&["status", "execution_time_ms"]));
    assert_eq!(payloads[6]["status"], "completed");
}

#[tokio::test]
async fn error_variants() {
    let (_hub, manager, mut events) = subscribed("carol", "t").await;
    let bridge = manager.bridge();

    let run = emit!(bridge, agent_started { agent_name: "a" });
    let call = emit!(
        run,
        tool_executing {
            tool_name: "search",
            parameters: json!([1, 2])
        }
    );
    emit!(
        call,
        tool_completed {
            error: "search is down"
        }
    );
    let call = emit!(run, tool_executing { tool_name: "both" });
    emit!(
        call,
        tool_completed {
            result: json!(null),
            error: "partial"
        }
    );
    emit!(
        run,
        agent_completed {
            error: "no offers found"
        }
    );

    let mut payloads = BTreeMap::new();
    for seq in 1..=6 {
        let (e, j) = next(&mut events).await;
        let ty = e.event_type().to_owned();
        payloads.insert(
            seq,
            check_envelope(&e, &j, &ty, seq, "carol", "t", "a").clone(),
        );
    }
    assert_eq!(payloads[&2]["parameters"], json!([1, 2]));
    let p = &payloads[&3];
    assert_eq!(
        keys(p),
        set(&[
            "tool_call_id",
            "tool_name",
            "status",
            "error",
            "execution_time_ms"
        ])
    );
    assert_eq!(p["status"], "error");
    assert_eq!(p["error"], "search is down");
    assert_eq!(p["tool_call_id"], payloads[&2]["tool_call_id"]);
    let p = &payloads[&5];
    assert_eq!(p["status"], "error", "an error wins over a result: {p}");
    assert_eq!(p["error"], "partial");
    assert_ne!(p["tool_call_id"], payloads[&3]["tool_call_id"]);
    let p = &payloads[&6];
    assert_eq!(keys(p), set(&["status", "error", "execution_time_ms"]));
    assert_eq!(p["status"], "failed");
    assert_eq!(p["error"], "no offers found");
}

#[tokio::test]
async fn closing_events_emitted_on_drop() {
    let (_hub, manager, mut events) = subscribed("dave", "t").await;
    let bridge = manager.bridge();
    {
        let run = emit!(bridge, agent_started { agent_name: "a" });
        let _call = emit!(run, tool_executing { tool_name: "slow" });
    }
    assert_eq!(next(&mut events).await.0.event_type(), "agent_started");
    assert_eq!(next(&mut events).await.0.event_type(), "tool_executing");
    let (e, j) = next(&mut events).await;
    let p = check_envelope(&e, &j, "tool_completed", 3, "dave", "t", "a");
    assert_eq!(p["status"], "cancelled");
    assert!(p["error"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
    assert!(p.get("result").is_none());
    let (e, j) = next(&mut events).await;
    let p = check_envelope(&e, &j, "agent_completed", 4, "dave", "t", "a");
    assert_eq!(p["status"], "failed");
    assert!(
        p["error"]
            .as_str()
            .is_some_and(|s| s.contains("agent_completed")),
        "the error says the run ended without agent_completed: {p}"
    );
    assert_eq!(manager.last_seq(), 4);
}

#[agent(name = "waiter")]
async fn waiter(run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    emit!(
        run,
        agent_thinking {
            reasoning: "waiting"
        }
    );
    std::future::pending::<()>().await;
    Ok(())
}

#[tokio::test]
async fn cancelled_run_envelope() {
    let (_hub, manager, mut events) = subscribed("erin", "t").await;
    let task = tokio::spawn(waiter.handle(manager.bridge(), UserMessage::new("hi")));
    let (e, j) = next(&mut events).await;
    check_envelope(&e, &j, "agent_started", 1, "erin", "t", "waiter");
    assert_eq!(next(&mut events).await.0.event_type(), "agent_thinking");
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let (e, j) = next(&mut events).await;
    let p = check_envelope(&e, &j, "agent_completed", 3, "erin", "t", "waiter");
    assert_eq!(p["status"], "cancelled");
    assert_eq!(keys(p), set(&["status", "error", "execution_time_ms"]));
}

const TRICKY: &str = "quote \" backslash \\ slash / newline \n tab \t cr \r nul \u{0} bell \u{7} \
                      del \u{7f} ünïcödé ✓ 日本語 🚀 \u{2028}\u{2029} </script> {\"payload\":1}";

#[tokio::test]
async fn tricky_strings_round_trip() {
    // Identifiers may hold quotes, backslashes and any non-control unicode.
    let user = "al\"ice\\ ü 🚀";
    let thread = "thread \"1\" </script>";
    let (_hub, manager, mut events) = subscribed(user, thread).await;
    let bridge = manager.bridge();

    let params = json!({ TRICKY: [TRICKY, {"nested": TRICKY}] });
    let name = AgentName::new(TRICKY).expect("not blank");
    let run = emit!(
        bridge,
        agent_started {
            agent_name: name,
            message: TRICKY
        }
    );
    emit!(run, agent_thinking { reasoning: TRICKY });
    let call = emit!(
        run,
        tool_executing {
            tool_name: TRICKY,
            parameters: params.clone()
        }
    );
    emit!(
        call,
        tool_completed {
            result: json!(TRICKY),
            error: TRICKY
        }
    );
    emit!(
        run,
        agent_completed {
            result: params.clone(),
            error: TRICKY.to_owned()
        }
    );

    let mut payloads = Vec::new();
    for seq in 1..=5 {
        let (e, j) = next(&mut events).await;
        let ty = e.event_type().to_owned();
        payloads.push(check_envelope(&e, &j, &ty, seq, user, thread, TRICKY).clone());
        assert!(
            !e.as_str().contains('\n') && !e.as_str().contains('\u{0}'),
            "control characters are escaped: {e:?}"
        );
    }
    assert_eq!(payloads[0]["message"], TRICKY);
    assert_eq!(payloads[1]["reasoning"], TRICKY);
    assert_eq!(payloads[2]["tool_name"], TRICKY);
    assert_eq!(payloads[2]["parameters"], params);
    assert_eq!(payloads[3]["tool_name"], TRICKY);
    assert_eq!(payloads[3]["result"], TRICKY);
    assert_eq!(payloads[3]["error"], TRICKY);
    assert_eq!(payloads[4]["result"], params);
    assert_eq!(payloads[4]["error"], TRICKY);
}

/// A user-declared event.
#[agentwire::agent_event]
#[allow(non_camel_case_types)]
pub struct progress_update {
    pub percent: u8,
    pub note: Option<String>,
}

/// A custom event whose fields are named like envelope keys.
#[agentwire::agent_event]
#[allow(non_camel_case_types)]
pub struct sneaky_update {
    pub r#type: String,
    pub user_id: String,
    pub seq: u64,
    pub run_id: String,
    pub thread_id: String,
    pub agent_name: String,
    pub event_id: String,
    pub timestamp: String,
    pub payload: String,
}

/// A custom event that cannot be serialised (a map with non-string keys).
#[agentwire::agent_event]
#[allow(non_camel_case_types)]
pub struct broken_update {
    pub table: BTreeMap<(u8, u8), u8>,
}

#[tokio::test]
async fn custom_event_envelopes() -> Result<(), Error> {
    let (_hub, manager, mut events) = subscribed("frank", "t").await;
    let bridge = manager.bridge();
    let run = emit!(bridge, agent_started { agent_name: "a" });
    emit!(run, progress_update { percent: 40 })?;
    emit!(
        run,
        progress_update {
            percent: 80,
            note: TRICKY
        }
    )?;
    emit!(
        run,
        sneaky_update {
            r#type: "agent_completed",
            user_id: "mallory",
            seq: 999,
            run_id: "run_forged",
            thread_id: "other",
            agent_name: "forged",
            event_id: "evt_forged",
            timestamp: "1970-01-01T00:00:00.000Z",
            payload: "forged",
        }
    )?;
    let err = emit!(
        run,
        broken_update {
            table: BTreeMap::from([((1, 2), 3)])
        }
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Serialize {
                event: "broken_update",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("broken_update"), "{err}");
    assert_eq!(
        manager.last_seq(),
        4,
        "a failed event is not emitted and takes no seq"
    );
    let run_id = run.id().as_str().to_owned();
    emit!(run, agent_completed {});

    let (e, j) = next(&mut events).await;
    check_envelope(&e, &j, "agent_started", 1, "frank", "t", "a");

    let (e, j) = next(&mut events).await;
    let p = check_envelope(&e, &j, "progress_update", 2, "frank", "t", "a");
    assert_eq!(
        *p,
        json!({"percent": 40}),
        "an optional field left out is absent"
    );
    assert_eq!(j["run_id"], run_id.as_str());

    let (e, j) = next(&mut events).await;
    let p = check_envelope(&e, &j, "progress_update", 3, "frank", "t", "a");
    assert_eq!(*p, json!({"percent": 80, "note": TRICKY}));

    let (e, j) = next(&mut events).await;
    let p = check_envelope(&e, &j, "sneaky_update", 4, "frank", "t", "a");
    assert_eq!(j["run_id"], run_id.as_str());
    assert_ne!(j["event_id"], "evt_forged");
    assert_ne!(j["timestamp"], "1970-01-01T00:00:00.000Z");
    assert_eq!(
        *p,
        json!({
            "type": "agent_completed",
            "user_id": "mallory",
            "seq": 999,
            "run_id": "run_forged",
            "thread_id": "other",
            "agent_name": "forged",
            "event_id": "evt_forged",
            "timestamp": "1970-01-01T00:00:00.000Z",
            "payload": "forged",
        }),
        "payload fields stay nested under payload"
    );

    let (e, j) = next(&mut events).await;
    check_envelope(&e, &j, "agent_completed", 5, "frank", "t", "a");
    Ok(())
}
