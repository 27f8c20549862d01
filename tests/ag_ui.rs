//! The AG-UI endpoint end to end (`--features agentwire/ag-ui`): real runs
//! over real sockets, their AG-UI streams validated by AG-UI's own
//! published schemas and sequence rules (`@ag-ui/core`, `@ag-ui/client`)
//! under node, in `clients/ag-ui-check`.

mod support;

use std::path::Path;
use std::process::Command;

use agentwire::prelude::*;
use serde_json::{json, Value};
use support::*;

#[agent_event]
pub struct progress_update {
    pub percent: u8,
}

/// Reports progress with a custom event, then answers.
#[agent(name = "reporter")]
async fn reporter(run: &Run, msg: UserMessage) -> Result<Value, AgentError> {
    emit!(run, progress_update { percent: 50 })?;
    Ok(json!({ "echo": msg.content }))
}

fn input(thread: &str, run: &str, content: &str, agent: Option<&str>) -> Value {
    let mut input = json!({
        "threadId": thread,
        "runId": run,
        "messages": [
            { "id": "m1", "role": "user", "content": "an earlier question" },
            { "id": "m2", "role": "assistant", "content": "an earlier answer" },
            { "id": "m3", "role": "user", "content": content },
        ],
        "tools": [],
        "context": [],
        "state": {},
        "forwardedProps": {},
    });
    if let Some(agent) = agent {
        input["forwardedProps"]["agent"] = agent.into();
    }
    input
}

async fn start_ag_ui() -> TestServer {
    let hub = Hub::builder()
        .agent(researcher)
        .agent(panicker)
        .agent(sleeper)
        .agent(reporter)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = hub.serve(listener, config()).await.unwrap();
    let url = format!("ws://{}/ws", server.local_addr());
    TestServer {
        hub,
        server: Endpoint::Serve(server),
        url,
    }
}

/// POSTs `body` and reads the AG-UI events until the stream ends.
async fn run(addr: &str, user: &str, body: &Value) -> Vec<Value> {
    let mut resp = HttpStream::post(addr, "/ag-ui", &bearer_line(user), body).await;
    assert_eq!(resp.status, 200, "{}", resp.head);
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("text/event-stream")
    );
    let mut events = Vec::new();
    while let Some(event) = resp.next_any().await {
        if !event.comment {
            events.push(event.json());
        }
    }
    events
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// Runs clients/ag-ui-check on the captured streams.
fn validate_with_ag_ui_packages(captured: &Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/ag-ui-check");
    let how = "install node 20 and the check's packages: `cd clients/ag-ui-check && npm ci` \
               (.ci/run does this)";
    assert!(
        dir.join("node_modules/@ag-ui/core").is_dir()
            && dir.join("node_modules/@ag-ui/client").is_dir(),
        "@ag-ui/core and @ag-ui/client are not installed in {}: {how}",
        dir.display()
    );
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ag-ui-streams.json");
    std::fs::write(&file, serde_json::to_string_pretty(captured).unwrap()).unwrap();
    let output = Command::new("node")
        .arg("check.mjs")
        .arg(&file)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("could not run `node` ({e}): {how}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "AG-UI's own schemas refused the stream:\n{stdout}\n{stderr}"
    );
    let scenarios = captured.as_object().unwrap().len();
    assert!(
        stdout.contains(&format!("{scenarios} passed, 0 failed")),
        "{stdout}\n{stderr}"
    );
}

#[tokio::test]
async fn runs_stream_as_ag_ui_events_that_ag_ui_itself_accepts() {
    let t = start_ag_ui().await;
    let addr = addr(&t);
    // The user's WebSocket tab sees the same runs.
    let mut tab = Client::connect(&t.url, "alice").await;

    let success = run(
        &addr,
        "alice",
        &input("thread-1", "run-1", "find GPU prices", None),
    )
    .await;
    assert_eq!(
        types(&success),
        [
            "RUN_STARTED",
            "REASONING_START",
            "REASONING_MESSAGE_START",
            "REASONING_MESSAGE_CONTENT",
            "REASONING_MESSAGE_END",
            "REASONING_END",
            "TOOL_CALL_START",
            "TOOL_CALL_ARGS",
            "TOOL_CALL_END",
            "TOOL_CALL_RESULT",
            "RUN_FINISHED",
        ]
    );
    assert_eq!(success[0]["threadId"], "thread-1");
    assert_eq!(success[0]["runId"], "run-1");
    assert_eq!(
        success[3]["delta"], "Reading: find GPU prices",
        "the last user message"
    );
    assert_eq!(success[6]["toolCallName"], "search");
    let args: Value = serde_json::from_str(success[7]["delta"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({ "q": "find GPU prices" }));
    let result: Value = serde_json::from_str(success[9]["content"].as_str().unwrap()).unwrap();
    assert_eq!(result["hits"], 3);
    assert_eq!(
        success[10]["result"]["answer"],
        "3 offers for find GPU prices"
    );
    let over_ws = tab.recv_run().await;
    assert_eq!(over_ws[0]["thread_id"], "thread-1");
    assert_eq!(over_ws[0]["agent_name"], "researcher");
    assert_eq!(over_ws.len(), 5);
    assert_eq!(
        over_ws[2]["payload"]["tool_call_id"], success[6]["toolCallId"],
        "one run, two views"
    );

    let tool_error = run(
        &addr,
        "alice",
        &input("thread-1", "run-2", "please fail", None),
    )
    .await;
    assert_eq!(types(&tool_error)[9..], ["TOOL_CALL_RESULT", "RUN_ERROR"]);
    assert!(tool_error[9]["content"]
        .as_str()
        .unwrap()
        .contains("search refused"));
    assert_eq!(tool_error[10]["code"], "failed");
    assert_eq!(tool_error[10]["message"], "could not research please fail");

    let panic = run(
        &addr,
        "alice",
        &input("thread-2", "run-3", "go", Some("panicker")),
    )
    .await;
    assert_eq!(types(&panic).last(), Some(&"RUN_ERROR"));
    assert!(panic.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("panicked"));

    let custom = run(
        &addr,
        "alice",
        &input("thread-3", "run-4", "hi", Some("reporter")),
    )
    .await;
    assert_eq!(types(&custom), ["RUN_STARTED", "CUSTOM", "RUN_FINISHED"]);
    assert_eq!(custom[1]["name"], "progress_update");
    assert_eq!(custom[1]["value"], json!({ "percent": 50 }));
    for _ in 0..3 {
        tab.recv_run().await;
    }

    // Cancelled: the server shuts down while the run waits on its tool.
    let mut resp = HttpStream::post(
        &addr,
        "/ag-ui",
        &bearer_line("alice"),
        &input("thread-4", "run-5", "wait", Some("sleeper")),
    )
    .await;
    assert_eq!(resp.status, 200);
    let mut cancelled = Vec::new();
    while cancelled.len() < 4 {
        let event = resp.next_event().await;
        cancelled.push(event.json());
    }
    assert_eq!(types(&cancelled)[3], "TOOL_CALL_END");
    drop(tab);
    let TestServer { server, .. } = t;
    let shutdown = tokio::spawn(server.shutdown());
    while let Some(event) = resp.next_any().await {
        if !event.comment {
            cancelled.push(event.json());
        }
    }
    shutdown.await.unwrap();
    assert_eq!(types(&cancelled)[4..], ["TOOL_CALL_RESULT", "RUN_ERROR"]);
    assert_eq!(cancelled[5]["code"], "cancelled");

    validate_with_ag_ui_packages(&json!({
        "success": success,
        "tool_error": tool_error,
        "failure": panic,
        "custom_event": custom,
        "cancelled": cancelled,
    }));
}

#[tokio::test]
async fn concurrent_runs_of_one_thread_each_get_their_own_stream() {
    let t = start_ag_ui().await;
    let addr = addr(&t);
    let (input_a, input_b) = (
        input("same", "run-a", "alpha", None),
        input("same", "run-b", "beta", None),
    );
    let (a, b) = tokio::join!(run(&addr, "alice", &input_a), run(&addr, "alice", &input_b));
    assert_eq!(a[0]["runId"], "run-a");
    assert_eq!(b[0]["runId"], "run-b");
    assert_eq!(a[3]["delta"], "Reading: alpha");
    assert_eq!(b[3]["delta"], "Reading: beta");
    assert_eq!(types(&a).last(), Some(&"RUN_FINISHED"));
    assert_eq!(types(&b).last(), Some(&"RUN_FINISHED"));
    t.server.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_refused_before_anything_runs() {
    let t = start_ag_ui().await;
    let addr = addr(&t);
    let mut no_token = HttpStream::post(&addr, "/ag-ui", "", &input("t", "r", "hi", None)).await;
    assert_eq!(no_token.status, 401);
    assert!(no_token.body().await.contains("no token"));

    let mut no_user = HttpStream::post(
        &addr,
        "/ag-ui",
        &bearer_line("alice"),
        &json!({ "threadId": "t", "runId": "r", "messages": [], "tools": [], "context": [] }),
    )
    .await;
    assert_eq!(no_user.status, 400);
    let e = no_user.json().await;
    assert_eq!(e["payload"]["code"], "invalid_payload");
    assert!(e["payload"]["message"].as_str().unwrap().contains("user"));

    let mut unknown = HttpStream::post(
        &addr,
        "/ag-ui",
        &bearer_line("alice"),
        &input("t", "r", "hi", Some("nobody")),
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json().await["payload"]["code"], "unknown_agent");

    let mut get = HttpStream::get(&addr, "/ag-ui", &bearer_line("alice")).await;
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow").as_deref(), Some("POST"));
    let _ = get.body().await;
    assert_eq!(t.server.active_runs(), 0);
    t.server.shutdown().await;
}
