//! The wire protocol's JSON Schema and TypeScript types: the checked-in
//! files are what `agentwire::schema` generates, and every frame a real
//! server sends (and every client frame it accepts) matches the schema.
//!
//! Regenerate the checked-in files with
//! `AGENTWIRE_BLESS=1 cargo test --test schema`.

mod support;

use std::path::{Path, PathBuf};

use agentwire::prelude::*;
use agentwire::schema::Schema;
use futures_util::SinkExt;
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::Message;

const SCHEMA_FILE: &str = "clients/schema/agentwire.v1.json";
const TYPESCRIPT_FILE: &str = "clients/ts/src/protocol.ts";

/// A custom event, in the schema through `with_event`.
#[agent_event]
#[derive(schemars::JsonSchema)]
/// How far a long run is.
pub struct progress_update {
    /// Percent done.
    pub percent: u8,
    /// What is happening.
    pub note: Option<String>,
}

#[agent(name = "reporter")]
async fn reporter(run: &Run, _msg: UserMessage) -> Result<Value, AgentError> {
    emit!(run, progress_update { percent: 40 })?;
    emit!(
        run,
        progress_update {
            percent: 90,
            note: "almost there"
        }
    )?;
    Ok(json!("reported"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Compares `generated` with the checked-in `file`, or writes it when
/// `AGENTWIRE_BLESS=1`.
fn check_file(file: &str, generated: &str) {
    let path = root().join(file);
    if std::env::var_os("AGENTWIRE_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != generated {
        let line = current
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(generated.lines().count()));
        panic!(
            "{file} is not what agentwire::schema generates (first difference at line {}).\n\
             Regenerate it with `AGENTWIRE_BLESS=1 cargo test --test schema` and review the diff.",
            line + 1
        );
    }
}

#[test]
fn checked_in_schema_is_current() {
    check_file(SCHEMA_FILE, &Schema::v1().to_json());
}

#[test]
fn checked_in_typescript_is_current() {
    check_file(TYPESCRIPT_FILE, &Schema::v1().typescript());
}

/// A validator of one definition of `doc`.
fn validator(doc: &Value, def: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": doc["$schema"],
        "$defs": doc["$defs"],
        "$ref": format!("#/$defs/{def}"),
    });
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema is a valid draft 2020-12 schema")
}

fn assert_valid(v: &jsonschema::Validator, frame: &Value) {
    let errors: Vec<String> = v
        .iter_errors(frame)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{frame}\ndoes not match: {errors:#?}");
}

/// Reads frames until one of type `ty` (included), recording each.
async fn recv_until(client: &mut Client, ty: &str, seen: &mut Vec<Value>) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = client.recv().await;
        seen.push(frame.clone());
        let done = frame["type"] == ty;
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

#[tokio::test]
async fn frames_of_a_real_server_match_the_schema() {
    let hub = Hub::builder()
        .agent(researcher)
        .agent(reporter)
        .agent(sleeper)
        .max_event_size(4096)
        .build()
        .unwrap();
    let t = start_hub(hub, config()).await;
    let mut seen = Vec::new();

    let (mut alice, hello) = Client::connect_query(&t.url, "alice", "").await;
    seen.push(json!({ "type": "connection_established", "payload": hello }));
    let epoch = hello["epoch"].as_str().unwrap().to_owned();

    alice.send(json!({ "type": "ping" })).await;
    recv_until(&mut alice, "pong", &mut seen).await;

    // The golden path, a failing run, a custom event, a cut event.
    alice.send_message("find GPU prices").await;
    let run = recv_until(&mut alice, "agent_completed", &mut seen).await;
    assert_eq!(run.last().unwrap()["payload"]["status"], "completed");
    alice.send_message("this search will fail").await;
    let run = recv_until(&mut alice, "agent_completed", &mut seen).await;
    assert_eq!(run.last().unwrap()["payload"]["status"], "failed");
    alice.send_to("reporter", "report").await;
    let run = recv_until(&mut alice, "agent_completed", &mut seen).await;
    assert_eq!(types(&run)[1..3], ["progress_update", "progress_update"]);
    alice.send_message(&"long ".repeat(2000)).await;
    let run = recv_until(&mut alice, "agent_completed", &mut seen).await;
    assert!(run.iter().any(|e| e["payload"]["truncated"] == true));

    // Every error a client can provoke on an open connection.
    for (frame, code) in [
        (Message::text("{nope"), "invalid_json"),
        (
            Message::text(r#"{"type":"user_message"}"#),
            "invalid_payload",
        ),
        (Message::text(r#"{"type":"dance"}"#), "unknown_type"),
        (
            Message::text(r#"{"type":"user_message","payload":{"content":"x","agent":"nobody"}}"#),
            "unknown_agent",
        ),
        (Message::binary(vec![1u8, 2, 3]), "unsupported"),
    ] {
        alice.ws.send(frame).await.unwrap();
        let error = recv_until(&mut alice, "error", &mut seen).await;
        assert_eq!(error.last().unwrap()["payload"]["code"], code);
    }

    // Resumes: recovered with the missed events, and not recovered.
    let (mut resumed, hello) =
        Client::connect_query(&t.url, "alice", &format!("since=3&epoch={epoch}")).await;
    assert_eq!(hello["recovered"], true);
    seen.push(json!({ "type": "connection_established", "payload": hello }));
    let last = seen.iter().filter_map(|f| f["seq"].as_u64()).max().unwrap();
    for _ in 3..last {
        seen.push(resumed.recv().await);
    }
    let (lost, hello) =
        Client::connect_query(&t.url, "alice", "since=3&epoch=another-stream").await;
    assert_eq!(hello["recovered"], false);
    seen.push(json!({ "type": "connection_established", "payload": hello }));

    // A `cancel_run` of no live run.
    alice
        .send(json!({ "type": "cancel_run", "payload": { "run_id": "run-gone" } }))
        .await;
    let refused = recv_until(&mut alice, "error", &mut seen).await;
    assert_eq!(refused.last().unwrap()["payload"]["code"], "unknown_run");

    // A run cancelled by the server's shutdown.
    alice.send_to("sleeper", "wait").await;
    recv_until(&mut alice, "tool_executing", &mut seen).await;
    drop((resumed, lost));
    let shutdown = tokio::spawn(t.server.shutdown());
    let (rest, _close) = alice.recv_close().await;
    drop(alice);
    shutdown.await.unwrap();
    assert_eq!(rest.last().unwrap()["payload"]["status"], "cancelled");
    seen.extend(rest);

    let doc = Schema::v1().with_event::<progress_update>().to_value();
    let server = validator(&doc, "ServerFrame");
    for frame in &seen {
        assert_valid(&server, frame);
    }

    // Every kind of server frame was seen, so none is described untested.
    let kinds: Vec<&str> = doc["$defs"]["ServerFrame"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let def = r["$ref"].as_str().unwrap().trim_start_matches("#/$defs/");
            doc["$defs"][def]["properties"]["type"]["const"]
                .as_str()
                .unwrap()
        })
        .collect();
    for kind in kinds {
        assert!(
            seen.iter().any(|f| f["type"] == kind),
            "no `{kind}` frame seen"
        );
    }
    for status in ["success", "error", "cancelled"] {
        assert!(
            seen.iter()
                .any(|f| f["type"] == "tool_completed" && f["payload"]["status"] == status),
            "no tool_completed {status}"
        );
    }

    // The schema is strict: what the server does not send does not match.
    let event = seen
        .iter()
        .find(|f| f["type"] == "tool_completed" && f["payload"]["status"] == "success")
        .unwrap();
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 8] = [
        ("no seq", |e| {
            e.as_object_mut().unwrap().remove("seq");
        }),
        ("seq 0", |e| e["seq"] = json!(0)),
        ("unknown status", |e| e["payload"]["status"] = json!("done")),
        ("a payload key the server never sends", |e| {
            e["payload"]["extra"] = json!(1)
        }),
        ("an envelope key the server never sends", |e| {
            e["extra"] = json!(1)
        }),
        ("a legacy type", |e| e["type"] = json!("tool_complete")),
        ("a timestamp without milliseconds", |e| {
            e["timestamp"] = json!("2026-11-22T10:00:00Z")
        }),
        ("null for an absent field", |e| {
            e["payload"]["error"] = Value::Null
        }),
    ];
    for (what, mutate) in mutations {
        let mut bad = event.clone();
        mutate(&mut bad);
        assert!(!server.is_valid(&bad), "{what}: {bad}");
    }
    // A custom event is not in the schema until it is registered.
    let base = validator(&Schema::v1().to_value(), "ServerFrame");
    let custom = seen
        .iter()
        .find(|f| f["type"] == "progress_update")
        .unwrap();
    assert!(!base.is_valid(custom));
    assert!(base.is_valid(event));
}

#[tokio::test]
async fn the_schema_accepts_the_client_frames_the_server_accepts() {
    let t = start(config()).await;
    let doc = Schema::v1().to_value();
    let client_frames = validator(&doc, "ClientFrame");
    let mut alice = Client::connect(&t.url, "alice").await;
    let frames = [
        json!({ "type": "ping" }),
        json!({ "type": "user_message", "payload": { "content": "hi" } }),
        json!({ "type": "user_message", "payload": { "content": "hi", "thread_id": "t-2", "agent": "researcher" } }),
        json!({ "type": "user_message", "payload": { "content": "  " } }),
        json!({ "type": "user_message", "payload": { "content": 3 } }),
        json!({ "type": "user_message", "payload": { "content": "hi", "thread_id": "" } }),
        json!({ "type": "user_message", "payload": { "content": "hi", "thread_id": " padded" } }),
        json!({ "type": "user_message", "payload": { "content": "hi", "agent": 7 } }),
        json!({ "type": "user_message" }),
        json!({ "type": "pingg" }),
        json!({ "payload": {} }),
        json!({ "type": "cancel_run" }),
        json!({ "type": "cancel_run", "payload": { "run_id": 7 } }),
        json!({ "type": "cancel_run", "payload": { "run_id": "" } }),
    ];
    for frame in frames {
        alice.send(frame.clone()).await;
        // The server's answer: an error, a pong, or a run's first event.
        let answer = alice.recv().await;
        let accepted = answer["type"] != "error";
        if answer["type"] == "agent_started" {
            alice.recv_run().await;
        }
        assert_eq!(
            client_frames.is_valid(&frame),
            accepted,
            "schema and server disagree on {frame} (server answered {answer})"
        );
    }

    // A well-formed `cancel_run` of a live run: valid, and it cancels; of a
    // run that has ended: still valid, refused by the server as `unknown_run`.
    alice.send_to("sleeper", "wait").await;
    let started = alice.recv().await;
    assert_eq!(started["type"], "agent_started");
    let cancel = json!({ "type": "cancel_run", "payload": { "run_id": started["run_id"] } });
    assert!(client_frames.is_valid(&cancel), "{cancel}");
    alice.send(cancel.clone()).await;
    let run = alice.recv_run().await;
    assert_eq!(run.last().unwrap()["payload"]["status"], "cancelled");
    alice.send(cancel).await;
    assert_eq!(alice.recv().await["payload"]["code"], "unknown_run");

    let shutdown = tokio::spawn(t.server.shutdown());
    alice.recv_close().await;
    drop(alice);
    shutdown.await.unwrap();
}
