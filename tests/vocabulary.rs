//! The event vocabulary cannot drift: the README's payload table, the
//! lifecycle table `emit!` checks against (`agentwire::events::__VOCABULARY`,
//! which the structs in `agentwire::events` are checked against when
//! compiled) and the payloads actually sent all name the same keys.

use std::collections::{BTreeMap, BTreeSet};

use agentwire::events::__VOCABULARY;
use agentwire::prelude::*;
use agentwire::Subscription;
use serde_json::{json, Value};

/// One row of the README's payload table: keys, each with whether it is
/// always present (`key`) or optional (`key?`).
type Row = BTreeMap<String, bool>;

/// The `| type | payload |` table under "Wire protocol", in order.
fn readme_payload_table() -> Vec<(String, Row)> {
    let readme = include_str!("../README.md");
    let mut lines = readme
        .lines()
        .skip_while(|l| l.trim() != "| type | payload |")
        .skip(2);
    let mut rows = Vec::new();
    for line in lines.by_ref().take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 2, "a payload table row has two cells: {line}");
        let event = cells[0].trim_matches('`').to_owned();
        rows.push((event, payload_keys(cells[1])));
    }
    assert!(
        !rows.is_empty(),
        "README.md has no `| type | payload |` table"
    );
    rows
}

/// The backticked keys of a payload cell, leaving out the parenthesised
/// value lists (`status` (`success`/`error`/`cancelled`)).
fn payload_keys(cell: &str) -> Row {
    let mut outside = String::new();
    let mut depth = 0;
    for c in cell.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => outside.push(c),
            _ => {}
        }
    }
    outside
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|key| match key.strip_suffix('?') {
            Some(key) => (key.to_owned(), false),
            None => (key.to_owned(), true),
        })
        .collect()
}

#[test]
fn the_readme_lists_the_lifecycle_events_in_table_order() {
    let readme: Vec<String> = readme_payload_table().into_iter().map(|(e, _)| e).collect();
    let table: Vec<&str> = __VOCABULARY.iter().map(|(e, _)| *e).collect();
    assert_eq!(readme, table);
}

#[test]
fn every_field_emit_takes_is_a_payload_or_envelope_key() {
    let readme: BTreeMap<String, Row> = readme_payload_table().into_iter().collect();
    let envelope = include_str!("../README.md");
    for (event, fields) in __VOCABULARY {
        let row = &readme[*event];
        for (field, required) in *fields {
            match row.get(*field) {
                // A field `emit!` requires is always sent; an optional one
                // may still always be sent (`parameters` defaults to `{}`).
                Some(always) => assert!(
                    always | !required,
                    "`{event}.{field}` is required by `emit!` but optional in README.md"
                ),
                None => assert!(
                    *field == "agent_name" && envelope.contains("\"agent_name\":"),
                    "`{event}.{field}` is neither in README.md's payload table nor an envelope key"
                ),
            }
        }
    }
}

async fn setup() -> (Hub, UserWebSocketManager) {
    let hub = Hub::builder().build().expect("default hub");
    let ctx = UserExecutionContext::new(
        UserId::new("alice").expect("user id"),
        ThreadId::new("thread-1").expect("thread id"),
    );
    let manager = hub.factory().create_manager(&ctx).await.expect("manager");
    (hub, manager)
}

/// The payload keys of every event, in emission order.
async fn sent_keys(
    manager: &UserWebSocketManager,
    mut events: Subscription,
) -> Vec<(String, BTreeSet<String>)> {
    let mut out = Vec::new();
    for _ in 0..manager.last_seq() {
        let event = events.recv().await.expect("an event").to_json();
        let keys = match &event["payload"] {
            Value::Object(payload) => payload
                .keys()
                .filter(|k| *k != "truncated")
                .cloned()
                .collect(),
            other => panic!("payload is an object: {other}"),
        };
        out.push((event["type"].as_str().unwrap().to_owned(), keys));
    }
    out
}

#[rustfmt::skip]
#[tokio::test]
async fn the_payloads_sent_carry_exactly_the_readme_keys() {
    let readme = readme_payload_table();

    // Every optional field left out: the README's keys without `?`.
    let (_hub, manager) = setup().await;
    let events = manager.subscribe();
    let bridge = manager.bridge();
    let run = emit!(bridge, agent_started { agent_name: "researcher" });
    emit!(run, agent_thinking { reasoning: "reading" });
    let call = emit!(run, tool_executing { tool_name: "search" });
    emit!(call, tool_completed {});
    emit!(run, agent_completed {});
    let sent = sent_keys(&manager, events).await;
    for ((event, row), (sent_event, keys)) in readme.iter().zip(&sent) {
        assert_eq!(event, sent_event);
        let always: BTreeSet<String> = row.iter().filter(|(_, a)| **a).map(|(k, _)| k.clone()).collect();
        assert_eq!(&always, keys, "`{event}` with only its required fields");
    }

    // Every field given: all of the README's keys.
    let (_hub, manager) = setup().await;
    let events = manager.subscribe();
    let bridge = manager.bridge();
    let run = emit!(bridge, agent_started { agent_name: "researcher", message: "on it" });
    emit!(run, agent_thinking { reasoning: "reading", step_number: 1u32, progress_percentage: 50.0 });
    let call = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": "h100"}) });
    emit!(call, tool_completed { result: json!({"hits": 3}), error: "partial" });
    emit!(run, agent_completed { result: json!({"answer": 3}), error: "partial" });
    let sent = sent_keys(&manager, events).await;
    assert_eq!(sent.len(), readme.len());
    for ((event, row), (sent_event, keys)) in readme.iter().zip(&sent) {
        assert_eq!(event, sent_event);
        let all: BTreeSet<String> = row.keys().cloned().collect();
        assert_eq!(&all, keys, "`{event}` with every field");
    }
}
