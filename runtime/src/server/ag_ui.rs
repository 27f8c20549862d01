//! The AG-UI endpoint (cargo feature `ag-ui`): `POST` an AG-UI
//! `RunAgentInput`, get the run as an AG-UI event stream over SSE.
//!
//! The agent is `forwardedProps.agent` or the hub's default (first
//! registered) agent; its input is the text of the last `user` message;
//! the run's thread is `threadId`. The run is an ordinary run of the user:
//! their WebSocket and SSE tabs see its events too, and it goes on if the
//! AG-UI client goes away. Authentication (`Authorization: Bearer`), the
//! per-user connection cap, the `POST` rate limit, the body limit, error
//! answers and shutdown are those of the SSE endpoint.
//!
//! Every agentwire event of the run becomes AG-UI events by [`MAPPING`],
//! the one table of the translation.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderValue};
use http::{Method, Request, Response};
use hyper::body::Body;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use super::conn::{self, ConnectionSlot};
use super::handshake::{Accepted, Rejection};
use super::protocol::{ClientError, ErrorCode};
use super::runs::{self, Watch};
use super::sse::{self, BoxFuture, Chunks, SseBody, StreamEnd};
use super::tasks::stopped;
use super::{Shared, WsService};
use crate::log::{Frame, Queue};
use crate::{Error, Hub, RunOutcome, ThreadId, UserMessage};

/// One row of the translation: an agentwire event type (`*` for custom
/// `#[agent_event]`s), the AG-UI events it becomes, in order, and how.
pub(crate) struct Row {
    pub(crate) agentwire: &'static str,
    pub(crate) ag_ui: &'static [&'static str],
    build: fn(&Ids<'_>, &Value, &mut Vec<Value>),
}

/// The translation of agentwire events into AG-UI events (the README has
/// the same table).
///
/// | agentwire | AG-UI |
/// |---|---|
/// | `agent_started` | `RUN_STARTED` |
/// | `agent_thinking` | `REASONING_START`, `REASONING_MESSAGE_START`, `REASONING_MESSAGE_CONTENT`, `REASONING_MESSAGE_END`, `REASONING_END` |
/// | `tool_executing` | `TOOL_CALL_START`, `TOOL_CALL_ARGS`, `TOOL_CALL_END` |
/// | `tool_completed` | `TOOL_CALL_RESULT` |
/// | `agent_completed` `completed` | `RUN_FINISHED` |
/// | `agent_completed` `failed` | `RUN_ERROR` (code `failed`) |
/// | `agent_completed` `cancelled` | `RUN_ERROR` (code `cancelled`) |
/// | a custom `#[agent_event]` | `CUSTOM` |
pub(crate) const MAPPING: &[Row] = &[
    Row {
        agentwire: "agent_started",
        ag_ui: &["RUN_STARTED"],
        build: |ids, _, out| {
            out.push(json!({ "type": "RUN_STARTED", "threadId": ids.thread, "runId": ids.run }));
        },
    },
    Row {
        agentwire: "agent_thinking",
        ag_ui: &[
            "REASONING_START",
            "REASONING_MESSAGE_START",
            "REASONING_MESSAGE_CONTENT",
            "REASONING_MESSAGE_END",
            "REASONING_END",
        ],
        build: |_, event, out| {
            let id = &event["event_id"];
            let reasoning = event["payload"]["reasoning"].as_str().unwrap_or_default();
            out.push(json!({ "type": "REASONING_START", "messageId": id }));
            out.push(
                json!({ "type": "REASONING_MESSAGE_START", "messageId": id, "role": "reasoning" }),
            );
            // AG-UI refuses an empty delta.
            if !reasoning.is_empty() {
                out.push(json!({ "type": "REASONING_MESSAGE_CONTENT", "messageId": id, "delta": reasoning }));
            }
            out.push(json!({ "type": "REASONING_MESSAGE_END", "messageId": id }));
            out.push(json!({ "type": "REASONING_END", "messageId": id }));
        },
    },
    Row {
        agentwire: "tool_executing",
        ag_ui: &["TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END"],
        build: |_, event, out| {
            let p = &event["payload"];
            let id = &p["tool_call_id"];
            out.push(json!({ "type": "TOOL_CALL_START", "toolCallId": id, "toolCallName": p["tool_name"] }));
            let args = match &p["parameters"] {
                Value::Null => "{}".to_owned(),
                parameters => parameters.to_string(),
            };
            out.push(json!({ "type": "TOOL_CALL_ARGS", "toolCallId": id, "delta": args }));
            out.push(json!({ "type": "TOOL_CALL_END", "toolCallId": id }));
        },
    },
    Row {
        agentwire: "tool_completed",
        ag_ui: &["TOOL_CALL_RESULT"],
        build: |_, event, out| {
            let p = &event["payload"];
            let id = p["tool_call_id"].as_str().unwrap_or_default();
            let content = match p["status"].as_str() {
                Some("success") => p["result"].to_string(),
                _ => json!({ "status": p["status"], "error": p["error"] }).to_string(),
            };
            out.push(json!({
                "type": "TOOL_CALL_RESULT",
                "messageId": format!("{id}-result"),
                "toolCallId": id,
                "content": content,
                "role": "tool",
            }));
        },
    },
    Row {
        agentwire: "agent_completed",
        ag_ui: &["RUN_FINISHED", "RUN_ERROR"],
        build: |ids, event, out| {
            let p = &event["payload"];
            match p["status"].as_str() {
                Some("completed") => out.push(json!({
                    "type": "RUN_FINISHED",
                    "threadId": ids.thread,
                    "runId": ids.run,
                    "result": p["result"],
                })),
                status => {
                    let code = status.unwrap_or("failed");
                    let message = p["error"].as_str().unwrap_or(match code {
                        "cancelled" => "the run was cancelled",
                        _ => "the run failed",
                    });
                    out.push(json!({ "type": "RUN_ERROR", "message": message, "code": code }));
                }
            }
        },
    },
    Row {
        agentwire: "*",
        ag_ui: &["CUSTOM"],
        build: |_, event, out| {
            out.push(json!({ "type": "CUSTOM", "name": event["type"], "value": event["payload"] }));
        },
    },
];

/// The AG-UI ids of the run being translated.
pub(crate) struct Ids<'a> {
    thread: &'a str,
    run: &'a str,
}

/// The AG-UI events of one agentwire event (an envelope).
pub(crate) fn translate(ids: &Ids<'_>, event: &Value, out: &mut Vec<Value>) {
    let ty = event["type"].as_str().unwrap_or_default();
    let row = MAPPING
        .iter()
        .find(|row| row.agentwire == ty)
        .or_else(|| MAPPING.iter().find(|row| row.agentwire == "*"));
    if let Some(row) = row {
        let start = out.len();
        (row.build)(ids, event, out);
        debug_assert!(out[start..]
            .iter()
            .all(|e| row.ag_ui.iter().any(|t| e["type"] == *t)));
    }
}

/// The AG-UI endpoint as a [`tower_service::Service`]: `POST` a
/// `RunAgentInput`, get the run's AG-UI events as `text/event-stream`. It
/// serves whatever path it is mounted at.
///
/// Obtained from [`Hub::ag_ui_service`], or from
/// [`WsService::ag_ui_service`] to share a WebSocket endpoint's runs,
/// counters and shutdown.
#[derive(Clone)]
pub struct AgUiService {
    shared: Arc<Shared>,
}

impl Hub {
    /// The AG-UI endpoint as a tower service (feature `ag-ui`). Rejects an
    /// invalid configuration.
    ///
    /// ```
    /// use agentwire::prelude::*;
    /// use agentwire::server::{JwtAuth, ServerConfig};
    ///
    /// let hub = Hub::builder().build()?;
    /// let ag_ui = hub.ag_ui_service(ServerConfig::new(JwtAuth::hs256("a long random secret")?))?;
    /// // e.g. axum: Router::new().route_service("/ag-ui", ag_ui)
    /// # let _ = ag_ui;
    /// # Ok::<(), agentwire::Error>(())
    /// ```
    pub fn ag_ui_service(&self, config: super::ServerConfig) -> Result<AgUiService, Error> {
        Ok(self.ws_service(config)?.ag_ui_service())
    }
}

impl WsService {
    /// The AG-UI endpoint of this endpoint (feature `ag-ui`), sharing its
    /// runs, per-user cap, counters and shutdown.
    pub fn ag_ui_service(&self) -> AgUiService {
        AgUiService {
            shared: self.shared.clone(),
        }
    }
}

/// What a `RunAgentInput` asks for.
struct Input {
    thread: ThreadId,
    run: String,
    message: UserMessage,
}

const MAX_RUN_ID: usize = 256;

fn invalid(message: impl Into<String>) -> ClientError {
    ClientError::new(ErrorCode::InvalidPayload, message)
}

/// Reads a `RunAgentInput`: `threadId`, `runId`, `messages` (the last
/// `user` one is the input), `tools`, `context`, and optionally `state`
/// and `forwardedProps` (whose `agent` names the agent).
fn parse_input(body: &[u8]) -> Result<Input, ClientError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ClientError::new(ErrorCode::InvalidJson, format!("not valid JSON: {e}")))?;
    let Value::Object(input) = value else {
        return Err(invalid("a RunAgentInput is a JSON object"));
    };
    let string = |key: &str| match input.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
        _ => Err(invalid(format!("`{key}` must be a non-empty string"))),
    };
    let thread =
        ThreadId::new(string("threadId")?).map_err(|e| invalid(format!("`threadId`: {e}")))?;
    let run = string("runId")?;
    if run.len() > MAX_RUN_ID {
        return Err(invalid(format!(
            "`runId` is longer than {MAX_RUN_ID} bytes"
        )));
    }
    for key in ["messages", "tools", "context"] {
        if !input.get(key).is_some_and(Value::is_array) {
            return Err(invalid(format!("`{key}` must be an array")));
        }
    }
    let content = input["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .find(|m| m["role"] == "user")
        .map(|m| message_text(&m["content"]))
        .ok_or_else(|| invalid("`messages` has no `user` message to answer"))?;
    if content.trim().is_empty() {
        return Err(invalid("the last `user` message has no text"));
    }
    let mut message = UserMessage::new(content).in_thread(thread.clone());
    match input.get("forwardedProps").and_then(|p| p.get("agent")) {
        None | Some(Value::Null) => {}
        Some(Value::String(agent)) => message = message.for_agent(agent.clone()),
        Some(_) => return Err(invalid("`forwardedProps.agent` must be a string")),
    }
    Ok(Input {
        thread,
        run: run.to_owned(),
        message,
    })
}

/// A message's text: a string, or the `text` of its text parts.
fn message_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter(|p| p["type"] == "text")
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

impl AgUiService {
    async fn respond<B>(&self, req: Request<B>) -> Response<SseBody>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let shared = &self.shared;
        if shared.runs.is_stopping() {
            return sse::reject(Rejection::unavailable());
        }
        if req.method() != Method::POST {
            return sse::reject(Rejection::method_not_allowed(
                "POST",
                "the AG-UI endpoint answers POST of a RunAgentInput",
            ));
        }
        let user = match sse::authenticate_post(shared, req.headers()) {
            Ok(user) => user,
            Err(rejection) => return sse::refused(rejection),
        };
        let body = match sse::read_body(shared, req.into_body()).await {
            Ok(body) => body,
            Err(rejection) => return sse::refused(rejection),
        };
        if !shared.post_limits.allow(&user, &shared.config) {
            return sse::client_error(&sse::rate_limited(&shared.config));
        }
        let input = match parse_input(&body) {
            Ok(input) => input,
            Err(e) => return sse::client_error(&e),
        };
        let accepted = Accepted {
            user,
            expires_at: std::time::SystemTime::now(),
            resume: None,
        };
        let slot = match conn::take_slot(shared, &accepted.user) {
            Ok(slot) => slot,
            Err(_over) => return sse::refused(sse::over_cap(&shared.config)),
        };
        // Subscribed before the run starts: none of its events is missed.
        let Ok(opened) = conn::open(shared, &slot, &accepted).await else {
            return sse::refused(Rejection::stream_unavailable());
        };
        let agent = shared
            .hub
            .inner
            .agent(input.message.agent.as_deref())
            .map(|a| a.name());
        let watch = match runs::start_watched(shared, &accepted.user, input.message.clone()).await {
            Ok(watch) => watch,
            Err(e) => return sse::client_error(&e),
        };
        let (tx, rx) = mpsc::channel(2);
        let guard = shared.connections.enter();
        let stream = RunStream {
            shared: shared.clone(),
            chunks: Chunks::new(tx, shared.config.write_timeout),
            events: opened.attached.queue,
            after: opened.attached.seq,
            thread: input.thread,
            run: input.run,
            agent: agent.unwrap_or_default(),
            watch,
            started: false,
        };
        tokio::spawn(async move {
            let _guard = guard;
            stream.run(slot).await;
        });
        let mut resp = Response::new(SseBody::stream(rx));
        let out = resp.headers_mut();
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        out.insert("x-accel-buffering", HeaderValue::from_static("no"));
        resp
    }

    /// Stops gracefully, as [`WsService::shutdown`]: runs end with their
    /// terminal events (`RUN_ERROR` with code `cancelled`), then streams end.
    pub async fn shutdown(&self) {
        self.shared.shutdown().await;
    }

    /// Open connections of this endpoint (WebSocket, SSE and AG-UI
    /// streams), all users together.
    pub fn connection_count(&self) -> usize {
        self.shared.connections.active()
    }

    /// Runs started by clients of this endpoint that have not ended.
    pub fn active_runs(&self) -> usize {
        self.shared.runs.active()
    }
}

/// One AG-UI response: follows the user's log, picks out the run it
/// started, and translates it.
struct RunStream {
    shared: Arc<Shared>,
    chunks: Chunks,
    events: Queue,
    /// The user's latest `seq` before the run started.
    after: u64,
    thread: ThreadId,
    run: String,
    agent: &'static str,
    watch: Watch,
    /// Whether `RUN_STARTED` was sent.
    started: bool,
}

impl RunStream {
    async fn run(mut self, slot: ConnectionSlot) {
        if let StreamEnd::Gone = self.pump().await {
            tracing::debug!(target: "agentwire::server", "AG-UI peer gone");
        }
        drop(slot);
    }

    /// Which run is this request's: `#[agent]` emits `agent_started` on
    /// its first poll, so it is the one `agent_started` of this thread and
    /// agent between the subscription and the end of that poll. When there
    /// are several (runs of the same thread and agent started at the same
    /// moment), or none (an agent that emits it only after awaiting), the
    /// run's outcome names it, and its events are held until then.
    async fn pump(&mut self) -> StreamEnd {
        let mut first_poll = Some(std::mem::replace(
            &mut self.watch.first_poll,
            oneshot::channel().1,
        ));
        let mut outcome = None;
        let mut known: Option<String> = None;
        let mut window: Option<u64> = None;
        let mut seen = self.after;
        // Events read before the run is known, bounded like the queue.
        let mut held: VecDeque<Value> = VecDeque::new();
        let limit = self.shared.config.queue_capacity;
        let mut stop = self.shared.connections.stop_signal();
        let stopping = stopped(&mut stop);
        tokio::pin!(stopping);
        let mut keep_alive = tokio::time::interval(self.shared.config.ping_interval);
        keep_alive.tick().await;
        let mut batch: VecDeque<Frame> = VecDeque::new();
        loop {
            tokio::select! {
                biased;
                _ = &mut stopping => {
                    // The runs were cancelled first: their last events are
                    // queued.
                    while let Some(frame) = self.events.try_recv() {
                        hold(&mut held, &frame);
                    }
                    if let Some(run_id) = &known {
                        match self.forward(&run_id.clone(), &mut held).await {
                            Ok(true) => return StreamEnd::Close(super::CloseCode::Normal),
                            Ok(false) => {}
                            Err(end) => return end,
                        }
                    }
                    return self.error("the server is shutting down", "cancelled").await;
                }
                _ = self.chunks.closed() => return StreamEnd::Gone,
                seq = async { first_poll.as_mut().expect("guarded").await }, if first_poll.is_some() => {
                    first_poll = None;
                    // No first poll: the run was cancelled before it ran.
                    let Ok(seq) = seq else {
                        return self.error("the run was cancelled", "cancelled").await;
                    };
                    window = Some(seq);
                }
                ended = async { outcome.as_mut().expect("guarded").await }, if outcome.is_some() => {
                    outcome = None;
                    let Ok(ended) = ended else {
                        return self.error("the run was cancelled", "cancelled").await;
                    };
                    let ended: RunOutcome = ended;
                    known = Some(ended.run_id().as_str().to_owned());
                }
                n = self.events.recv_many(&mut batch, 64) => {
                    if n == 0 || self.events.overflowed() {
                        return self.error("the stream fell more than its queue behind", "slow_consumer").await;
                    }
                    for frame in batch.drain(..) {
                        seen = frame.seq;
                        hold(&mut held, &frame);
                    }
                    if held.len() > limit {
                        return self.error("the stream fell more than its queue behind", "slow_consumer").await;
                    }
                }
                _ = keep_alive.tick() => {
                    if let Err(end) = self.chunks.send(Bytes::from_static(sse::KEEP_ALIVE)).await {
                        return end;
                    }
                }
            }
            if let (None, Some(w)) = (&known, window) {
                if seen >= w {
                    window = None;
                    match candidates_in(&held, w, self.thread.as_str(), self.agent)[..] {
                        [ref only] => known = Some(only.clone()),
                        _ => {
                            outcome = Some(std::mem::replace(
                                &mut self.watch.outcome,
                                oneshot::channel().1,
                            ))
                        }
                    }
                }
            }
            if let Some(run_id) = &known {
                match self.forward(&run_id.clone(), &mut held).await {
                    Ok(false) => {}
                    Ok(true) => return StreamEnd::Close(super::CloseCode::Normal),
                    Err(end) => return end,
                }
            }
        }
    }

    /// Translates and sends the held events of `run_id`; true once the
    /// run has ended.
    async fn forward(
        &mut self,
        run_id: &str,
        held: &mut VecDeque<Value>,
    ) -> Result<bool, StreamEnd> {
        let ids = Ids {
            thread: self.thread.as_str(),
            run: &self.run,
        };
        let mut out = Vec::new();
        let mut ended = false;
        for event in held.drain(..) {
            if event["run_id"] != run_id {
                continue;
            }
            translate(&ids, &event, &mut out);
            if event["type"] == "agent_completed" {
                ended = true;
                break;
            }
        }
        if !out.is_empty() {
            self.started = true;
            self.chunks.send(encode(&out)).await?;
        }
        Ok(ended)
    }

    /// Ends the stream with `RUN_ERROR` (after `RUN_STARTED` if the run was
    /// not seen to start).
    async fn error(&self, message: &str, code: &str) -> StreamEnd {
        let mut events = Vec::new();
        if !self.started {
            events.push(json!({ "type": "RUN_STARTED", "threadId": self.thread.as_str(), "runId": self.run }));
        }
        events.push(json!({ "type": "RUN_ERROR", "message": message, "code": code }));
        match self.chunks.send(encode(&events)).await {
            Ok(()) => StreamEnd::Close(super::CloseCode::Normal),
            Err(end) => end,
        }
    }
}

fn hold(held: &mut VecDeque<Value>, frame: &Frame) {
    if let Ok(event) = serde_json::from_str::<Value>(frame.text.as_str()) {
        held.push_back(event);
    }
}

fn candidates_in(held: &VecDeque<Value>, window: u64, thread: &str, agent: &str) -> Vec<String> {
    held.iter()
        .filter(|e| e["seq"].as_u64().is_some_and(|s| s <= window))
        .filter(|e| {
            e["type"] == "agent_started" && e["thread_id"] == thread && e["agent_name"] == agent
        })
        .filter_map(|e| e["run_id"].as_str().map(str::to_owned))
        .collect()
}

fn encode(events: &[Value]) -> Bytes {
    let mut out = BytesMut::new();
    for event in events {
        sse::push_message(&mut out, None, &event.to_string());
    }
    out.freeze()
}

sse::http_endpoint!(AgUiService);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_builds_only_the_events_it_names() {
        let ids = Ids {
            thread: "t",
            run: "r",
        };
        let events = [
            json!({"type": "agent_started", "event_id": "e1", "payload": {}}),
            json!({"type": "agent_thinking", "event_id": "e2", "payload": {"reasoning": "hm"}}),
            json!({"type": "tool_executing", "payload": {"tool_call_id": "c", "tool_name": "s", "parameters": {"q": 1}}}),
            json!({"type": "tool_completed", "payload": {"tool_call_id": "c", "status": "error", "error": "no"}}),
            json!({"type": "agent_completed", "payload": {"status": "cancelled"}}),
            json!({"type": "progress_update", "payload": {"percent": 4}}),
        ];
        for event in &events {
            let mut out = Vec::new();
            translate(&ids, event, &mut out);
            let ty = event["type"].as_str().unwrap();
            let row = MAPPING
                .iter()
                .find(|r| r.agentwire == ty)
                .unwrap_or(&MAPPING[MAPPING.len() - 1]);
            assert!(!out.is_empty());
            for e in out {
                assert!(row.ag_ui.contains(&e["type"].as_str().unwrap()), "{e}");
            }
        }
    }

    #[test]
    fn inputs() {
        let ok = br#"{"threadId":"t1","runId":"r1","messages":[{"id":"1","role":"user","content":"first"},{"id":"2","role":"assistant","content":"x"},{"id":"3","role":"user","content":[{"type":"text","text":"second"}]}],"tools":[],"context":[],"forwardedProps":{"agent":"a"}}"#;
        let input = parse_input(ok).unwrap();
        assert_eq!(input.message.content, "second");
        assert_eq!(input.message.agent.as_deref(), Some("a"));
        assert_eq!(input.thread.as_str(), "t1");
        for bad in [
            &b"{"[..],
            br#"{"threadId":"t","runId":"r","messages":[],"tools":[],"context":[]}"#,
            br#"{"threadId":"","runId":"r","messages":[{"role":"user","content":"x"}],"tools":[],"context":[]}"#,
            br#"{"threadId":"t","runId":"r","messages":[{"role":"user","content":"x"}],"context":[]}"#,
        ] {
            assert!(parse_input(bad).is_err());
        }
    }
}
