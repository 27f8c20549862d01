//! The wire protocol as a JSON Schema (draft 2020-12), and TypeScript types
//! generated from it. Needs the `schema` feature.
//!
//! Envelopes are written by hand for speed; the types here describe them,
//! frame by frame, so that a schema can be generated with
//! [`schemars`] and checked against frames a real server sends. The
//! checked-in `clients/schema/agentwire.v1.json` is [`Schema::v1`]'s
//! document; `clients/ts/src/protocol.ts` is its [`Schema::typescript`].
//!
//! Custom [`#[agent_event]`](crate::agent_event) structs add their own
//! frames: derive [`schemars::JsonSchema`] on the struct and register it.
//!
//! ```
//! use agentwire::prelude::*;
//! use agentwire::schema::Schema;
//!
//! #[agent_event]
//! #[derive(schemars::JsonSchema)]
//! /// How far a long run is.
//! pub struct progress_update {
//!     pub percent: u8,
//!     pub note: Option<String>,
//! }
//!
//! let schema = Schema::v1().with_event::<progress_update>();
//! let doc = schema.to_value();
//! assert_eq!(
//!     doc["$defs"]["ProgressUpdateEvent"]["properties"]["type"]["const"],
//!     "progress_update"
//! );
//! assert!(schema.typescript().contains("export interface ProgressUpdateEvent {"));
//! ```
//!
//! Validate a frame from the server against `#/$defs/ServerFrame`, and one
//! from a client against `#/$defs/ClientFrame`. The frames are described
//! exactly (`additionalProperties: false`): a field the server starts
//! sending is a change of this schema.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::id::MAX_ID_LEN;
use crate::server::{CloseCode, ErrorCode};
use crate::{ConnectionId, RunId, RunStatus, ThreadId, ToolCallId, ToolStatus, UserId};

pub use schemars;

mod typescript;

/// The JSON Schema meta-schema the document follows.
pub const META_SCHEMA: &str = "https://json-schema.org/draft/2020-12/schema";

/// A builder of the protocol's schema: the v1 frames, plus the custom
/// events registered with [`with_event`](Schema::with_event).
///
/// ```
/// let doc = agentwire::schema::Schema::v1().to_value();
/// assert_eq!(doc["$schema"], agentwire::schema::META_SCHEMA);
/// assert!(doc["$defs"]["ServerFrame"]["oneOf"].is_array());
/// ```
#[derive(Clone, Default)]
pub struct Schema {
    custom: Vec<CustomEntry>,
}

#[derive(Clone)]
struct CustomEntry {
    name: &'static str,
    payload: fn(&mut SchemaGenerator) -> schemars::Schema,
}

/// One frame of the union: its `type`, its definition's name, its payload
/// (if any) and whether it is an agent event's envelope.
struct Frame {
    wire_type: &'static str,
    def: String,
    description: &'static str,
    payload: Option<schemars::Schema>,
    envelope: bool,
}

impl Schema {
    /// The v1 protocol: the five lifecycle events, `connection_established`,
    /// `error` and `pong` from the server; `user_message` and `ping` from a
    /// client.
    pub fn v1() -> Schema {
        Schema::default()
    }

    /// Adds a custom [`#[agent_event]`](crate::agent_event) to the server's
    /// frames: an envelope like the lifecycle events', whose `payload` is
    /// `E`'s schema. Derive [`schemars::JsonSchema`] on `E` next to
    /// `#[agent_event]` (optional fields left out are absent, never
    /// `null`, as the event is sent).
    ///
    /// Registering the same event again changes nothing.
    pub fn with_event<E>(mut self) -> Schema
    where
        E: crate::__private::CustomEvent + JsonSchema,
    {
        if !self.custom.iter().any(|c| c.name == E::NAME) {
            self.custom.push(CustomEntry {
                name: E::NAME,
                payload: |g| g.subschema_for::<E>(),
            });
        }
        self
    }

    /// The schema document.
    pub fn to_value(&self) -> Value {
        let mut gen = SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator();
        let mut frames = vec![
            Frame::new::<AgentStartedPayload>(&mut gen, "agent_started", true, "A run started."),
            Frame::new::<AgentThinkingPayload>(
                &mut gen,
                "agent_thinking",
                true,
                "What the agent is thinking.",
            ),
            Frame::new::<ToolExecutingPayload>(
                &mut gen,
                "tool_executing",
                true,
                "A tool call began.",
            ),
            Frame::new::<ToolCompletedPayload>(
                &mut gen,
                "tool_completed",
                true,
                "A tool call ended.",
            ),
            Frame::new::<AgentCompletedPayload>(
                &mut gen,
                "agent_completed",
                true,
                "A run ended: the last event of its run.",
            ),
        ];
        for custom in &self.custom {
            frames.push(Frame {
                wire_type: custom.name,
                def: format!("{}Event", pascal_case(custom.name)),
                description: "A custom event of a run.",
                payload: Some((custom.payload)(&mut gen)),
                envelope: true,
            });
        }
        let agent_events: Vec<String> = frames.iter().map(|f| f.def.clone()).collect();
        frames.extend([
            Frame::new::<ConnectionEstablishedPayload>(
                &mut gen,
                "connection_established",
                false,
                "The first frame of every connection.",
            ),
            Frame::new::<ErrorPayload>(
                &mut gen,
                "error",
                false,
                "What the client sent was refused, or could not be acted on; the connection stays open.",
            ),
            Frame {
                wire_type: "pong",
                def: "PongFrame".into(),
                description: "The answer to a `ping`.",
                payload: None,
                envelope: false,
            },
        ]);
        let server_frames: Vec<String> = frames.iter().map(|f| f.def.clone()).collect();
        let client = [
            Frame::new::<UserMessagePayload>(
                &mut gen,
                "user_message",
                false,
                "Starts a run of the named (or first registered) agent for the connection's user.",
            ),
            Frame::new::<CancelRunPayload>(
                &mut gen,
                "cancel_run",
                false,
                "Cancels a run of the connection's user that is still going, whichever tab started it: its open tool calls end `cancelled`, then `agent_completed` with status `cancelled` reaches every tab. Refused with `unknown_run` otherwise.",
            ),
            Frame {
                wire_type: "ping",
                def: "PingFrame".into(),
                description: "Answered by `pong`.",
                payload: None,
                envelope: false,
            },
        ];
        let client_frames: Vec<String> = client.iter().map(|f| f.def.clone()).collect();
        gen.subschema_for::<CloseCode>();

        let envelope = EnvelopeFields::json_schema(&mut gen);
        let mut defs = gen.take_definitions(true);
        for frame in frames.iter().chain(&client) {
            let schema = frame.schema(&envelope);
            let previous = defs.insert(frame.def.clone(), schema);
            assert!(
                previous.is_none(),
                "two definitions are named `{}`: rename the custom event's struct",
                frame.def
            );
        }
        let union = |description: &str, members: &[String]| {
            json!({
                "description": description,
                "oneOf": members.iter().map(|m| json!({ "$ref": format!("#/$defs/{m}") })).collect::<Vec<_>>(),
            })
        };
        for (name, schema) in [
            (
                "AgentEvent",
                union(
                    "An agent event: the envelope every event of a run has, discriminated on `type`.",
                    &agent_events,
                ),
            ),
            (
                "ServerFrame",
                union(
                    "A frame the server sends (a JSON text frame), discriminated on `type`.",
                    &server_frames,
                ),
            ),
            (
                "ClientFrame",
                union(
                    "A frame a client sends (a JSON text frame), discriminated on `type`.",
                    &client_frames,
                ),
            ),
        ] {
            defs.insert(name.into(), schema);
        }
        sorted(json!({
            "$schema": META_SCHEMA,
            "title": "agentwire wire protocol v1",
            "description": "The JSON text frames of agentwire's WebSocket endpoint. A frame from the server is a ServerFrame; a frame from a client is a ClientFrame.",
            "anyOf": [
                { "$ref": "#/$defs/ServerFrame" },
                { "$ref": "#/$defs/ClientFrame" },
            ],
            "$defs": Value::Object(defs),
        }))
    }

    /// The schema document as pretty JSON with sorted keys, ending with a
    /// newline: what `clients/schema/agentwire.v1.json` holds.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.to_value())
            .unwrap_or_else(|e| unreachable!("a JSON value serialises: {e}"));
        text.push('\n');
        text
    }

    /// TypeScript types of every definition of the document: an
    /// `interface` per frame and payload, and the unions `ServerFrame`,
    /// `ClientFrame` and `AgentEvent`, discriminated on `type`.
    pub fn typescript(&self) -> String {
        typescript::generate(&self.to_value())
    }
}

impl Frame {
    fn new<P: JsonSchema>(
        gen: &mut SchemaGenerator,
        wire_type: &'static str,
        envelope: bool,
        description: &'static str,
    ) -> Frame {
        let pascal = pascal_case(wire_type);
        Frame {
            wire_type,
            def: if envelope {
                format!("{pascal}Event")
            } else {
                format!("{pascal}Frame")
            },
            description,
            payload: Some(gen.subschema_for::<P>()),
            envelope,
        }
    }

    fn schema(&self, envelope: &schemars::Schema) -> Value {
        let mut properties = Map::new();
        let mut required = vec![json!("type")];
        properties.insert("type".into(), json!({ "const": self.wire_type }));
        if self.envelope {
            if let Some(fields) = envelope.get("properties").and_then(Value::as_object) {
                properties.extend(fields.clone());
            }
            if let Some(fields) = envelope.get("required").and_then(Value::as_array) {
                required.extend(fields.iter().cloned());
            }
        }
        if let Some(payload) = &self.payload {
            properties.insert("payload".into(), payload.clone().to_value());
            required.push(json!("payload"));
        }
        json!({
            "description": self.description,
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    }
}

/// `agent_started` → `AgentStarted`.
fn pascal_case(name: &str) -> String {
    name.split(['_', '-', '.'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The value with every object's keys in order, whatever map `serde_json`
/// was built with, so that the document's text does not depend on features.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

// ---- The envelope and the payloads -------------------------------------
//
// Optional fields are `Option<T>` left out when absent (the server never
// sends `null` for them): `skip_serializing_if` makes them optional and
// `with = "T"` keeps `null` out of their schema.

/// The fields of an agent event's envelope, around its `payload`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct EnvelopeFields {
    /// The event's number in its user's stream: one more than the user's
    /// previous event, across runs and threads. Resume after it with
    /// `?since=<seq>&epoch=<epoch>`.
    #[schemars(range(min = 1))]
    seq: u64,
    /// The event's unique id.
    #[schemars(length(min = 1))]
    event_id: String,
    /// The user the event belongs to (the connection's user).
    user_id: UserId,
    /// The thread of the run.
    thread_id: ThreadId,
    /// The run the event belongs to.
    run_id: RunId,
    /// The agent running, as `agent_started` named it (cut to 256 bytes).
    #[schemars(length(min = 1, max = 256))]
    agent_name: String,
    /// When the event was emitted: RFC 3339, UTC, with milliseconds.
    #[schemars(
        extend("format" = "date-time"),
        regex(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
    )]
    timestamp: String,
}

/// `"truncated": true`: some of the payload's large fields were cut to
/// keep the event under the hub's `max_event_size`.
struct Truncated;

impl JsonSchema for Truncated {
    fn schema_name() -> Cow<'static, str> {
        "Truncated".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        json_schema!({
            "description": "Present, and `true`, when large fields of the payload were cut to keep the event under the hub's `max_event_size`: text ends with `…`, other JSON became `{\"truncated\": true, \"bytes\": n}`.",
            "const": true,
        })
    }
}

/// The payload of `agent_started`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AgentStartedPayload {
    /// A message shown when the run starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub message: Option<String>,
    /// `true` when large fields were cut to fit the hub's `max_event_size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Truncated")]
    pub truncated: Option<bool>,
}

/// The payload of `agent_thinking`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AgentThinkingPayload {
    /// The agent's reasoning, shown to the user.
    pub reasoning: String,
    /// Which step of the run this is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32")]
    pub step_number: Option<u32>,
    /// How far the run is, from 0 to 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "f64")]
    pub progress_percentage: Option<f64>,
    /// `true` when large fields were cut to fit the hub's `max_event_size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Truncated")]
    pub truncated: Option<bool>,
}

/// The payload of `tool_executing`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ToolExecutingPayload {
    /// Pairs this call with its `tool_completed`.
    pub tool_call_id: ToolCallId,
    /// The tool's name.
    pub tool_name: String,
    /// The tool's arguments (`{}` when none were given).
    pub parameters: Value,
    /// `true` when large fields were cut to fit the hub's `max_event_size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Truncated")]
    pub truncated: Option<bool>,
}

/// The payload of `tool_completed`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ToolCompletedPayload {
    /// The call's `tool_executing` had the same id.
    pub tool_call_id: ToolCallId,
    /// The tool's name.
    pub tool_name: String,
    /// How the call ended.
    pub status: ToolStatus,
    /// What the tool returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Value")]
    pub result: Option<Value>,
    /// Why the tool failed, or was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub error: Option<String>,
    /// How long the call took.
    pub execution_time_ms: u64,
    /// `true` when large fields were cut to fit the hub's `max_event_size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Truncated")]
    pub truncated: Option<bool>,
}

/// The payload of `agent_completed`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AgentCompletedPayload {
    /// How the run ended.
    pub status: RunStatus,
    /// The run's result.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Value")]
    pub result: Option<Value>,
    /// Why the run failed, or was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub error: Option<String>,
    /// How long the run took.
    pub execution_time_ms: u64,
    /// `true` when large fields were cut to fit the hub's `max_event_size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Truncated")]
    pub truncated: Option<bool>,
}

/// The payload of `connection_established`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConnectionEstablishedPayload {
    /// This connection's id.
    pub connection_id: ConnectionId,
    /// The token's user: every event of this user, and no other's, follows.
    pub user_id: UserId,
    /// Names the user's event stream. Keep it to resume with
    /// `?since=<seq>&epoch=<epoch>`; a new epoch is a new stream whose `seq`
    /// started again.
    #[schemars(length(min = 1))]
    pub epoch: String,
    /// The stream's latest `seq` when the connection opened (0 before the
    /// first event).
    pub seq: u64,
    /// Only on a resume (`?since=`): `true` when every missed event
    /// follows, in order, before live ones; `false` when none is replayed
    /// (another epoch, `since` ahead of the stream, or a gap larger than
    /// the replay buffer): reload your state and continue from `seq`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "bool")]
    pub recovered: Option<bool>,
    /// Only on a resume, when known: how many events the client lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64")]
    pub missed: Option<u64>,
}

/// The payload of `error`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ErrorPayload {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
}

/// The payload of `user_message`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct UserMessagePayload {
    /// The message; not empty or only whitespace.
    #[schemars(regex(pattern = r"\S"))]
    pub content: String,
    /// The thread to run in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ThreadId")]
    pub thread_id: Option<ThreadId>,
    /// The agent to run; the server's first registered agent when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub agent: Option<String>,
}

/// The payload of `cancel_run`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CancelRunPayload {
    /// The run to cancel, as in its envelopes' `run_id`.
    pub run_id: RunId,
}

// ---- Schemas of the runtime's own types --------------------------------

macro_rules! id_schema {
    ($($ty:ident: $what:literal,)*) => {$(
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
                json_schema!({
                    "description": concat!(
                        $what,
                        ": 1 to 256 bytes (UTF-8), no control characters, no surrounding whitespace."
                    ),
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_ID_LEN,
                    "pattern": r"^[^\s\p{Cc}]([^\p{Cc}]*[^\s\p{Cc}])?$",
                })
            }
        }
    )*};
}

id_schema! {
    UserId: "A user id",
    ThreadId: "A thread id",
    RunId: "A run id",
    ToolCallId: "A tool call id",
    ConnectionId: "A connection id",
}

/// A string enum whose values carry their own descriptions: each of `all`
/// as `name` writes it, described by `what` (an exhaustive `match`, so a
/// new value is a compile error until it is described).
fn described<T: Copy>(
    description: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    what: fn(T) -> &'static str,
) -> schemars::Schema {
    json_schema!({
        "description": description,
        "type": "string",
        "enum": all.iter().map(|&v| name(v)).collect::<Vec<_>>(),
        "x-enum-descriptions": all.iter().map(|&v| what(v)).collect::<Vec<_>>(),
    })
}

impl JsonSchema for RunStatus {
    fn schema_name() -> Cow<'static, str> {
        "RunStatus".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        described(
            "How a run ended.",
            &[
                RunStatus::Completed,
                RunStatus::Failed,
                RunStatus::Cancelled,
            ],
            RunStatus::as_str,
            |s| match s {
                RunStatus::Completed => "the run finished with a result",
                RunStatus::Failed => "the run returned an error, panicked, or was dropped",
                RunStatus::Cancelled => "the run's task was cancelled, or the server shut down",
            },
        )
    }
}

impl JsonSchema for ToolStatus {
    fn schema_name() -> Cow<'static, str> {
        "ToolStatus".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        described(
            "How a tool call ended.",
            &[
                ToolStatus::Success,
                ToolStatus::Error,
                ToolStatus::Cancelled,
            ],
            ToolStatus::as_str,
            |s| match s {
                ToolStatus::Success => "the tool returned a result",
                ToolStatus::Error => "the tool failed; `error` says why",
                ToolStatus::Cancelled => "the call was dropped before it completed",
            },
        )
    }
}

impl JsonSchema for ErrorCode {
    fn schema_name() -> Cow<'static, str> {
        "ErrorCode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        fn what(c: ErrorCode) -> &'static str {
            match c {
                ErrorCode::InvalidJson => "the text frame is not JSON",
                ErrorCode::InvalidPayload => "no string `type`, or a payload of the wrong shape",
                ErrorCode::UnknownType => "a `type` the server does not know",
                ErrorCode::UnknownAgent => {
                    "`user_message` named an agent the server does not have"
                }
                ErrorCode::NoAgent => "the server has no agents",
                ErrorCode::Unsupported => "a binary frame",
                ErrorCode::TooManyRuns => {
                    "`user_message` while the user already has the maximum number of runs going; nothing started"
                }
                ErrorCode::UnknownRun => {
                    "`cancel_run` named no run of this user that is still going"
                }
                ErrorCode::RateLimited => {
                    "an HTTP `POST` beyond the per-user rate limit (answered with 429)"
                }
                ErrorCode::ShuttingDown => "the server is shutting down and starts no runs",
                ErrorCode::Internal => {
                    "the server could not act on a valid message: nothing started, or a `cancel_run` could not be delivered to the node running the run"
                }
            }
        }
        described(
            "Why the server refused what a client sent, or could not act on it.",
            &ErrorCode::ALL,
            ErrorCode::as_str,
            what,
        )
    }
}

impl JsonSchema for CloseCode {
    fn schema_name() -> Cow<'static, str> {
        "CloseCode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        let codes: Vec<Value> = CloseCode::ALL
            .iter()
            .map(|c| json!({ "const": c.code(), "description": c.reason() }))
            .collect();
        json_schema!({
            "description": "The WebSocket close codes the server sends (not a frame: the close frame's code). A browser reports 1006 when the connection was dropped without one.",
            "oneOf": codes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal_case("agent_started"), "AgentStarted");
        assert_eq!(pascal_case("progress-update.v2"), "ProgressUpdateV2");
    }

    #[test]
    fn the_document_is_stable_and_sorted() {
        let doc = Schema::v1().to_value();
        assert_eq!(Schema::v1().to_json(), Schema::v1().to_json());
        let defs = doc["$defs"].as_object().unwrap();
        let keys: Vec<&String> = defs.keys().collect();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort();
        assert_eq!(keys, sorted_keys);
        for name in [
            "ServerFrame",
            "ClientFrame",
            "AgentEvent",
            "PongFrame",
            "CloseCode",
        ] {
            assert!(defs.contains_key(name), "{name}");
        }
        assert_eq!(
            doc["$defs"]["ServerFrame"]["oneOf"]
                .as_array()
                .unwrap()
                .len(),
            8
        );
        assert_eq!(
            doc["$defs"]["AgentEvent"]["oneOf"]
                .as_array()
                .unwrap()
                .len(),
            5
        );
        // Optional fields are absent, never null.
        let message = &doc["$defs"]["AgentStartedPayload"]["properties"]["message"];
        assert_eq!(message["type"], "string", "{message}");
    }
}
