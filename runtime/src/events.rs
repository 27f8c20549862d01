//! The five lifecycle events, declared with [`#[agent_event]`](crate::agent_event).
//!
//! These structs document what `emit!` accepts for each event; `emit!`
//! builds them, checks the names at compile time and fills in the envelope
//! (`user_id`, `thread_id`, `run_id`, ids, timings). Fields of type
//! `Option<_>` may be left out. Text fields accept `&str` and `String`;
//! `result` and `parameters` take a `serde_json::Value` (`json!(..)`).
//!
//! # The size limit
//!
//! Every event, as the whole JSON envelope sent, is at most the hub's
//! [`max_event_size`](crate::HubBuilder::max_event_size) bytes (counting
//! `seq` at its longest, 20 digits).
//!
//! These five events are always emitted. One that would be larger is sent
//! with its large fields shortened and `"truncated": true` in its payload
//! (the key is absent otherwise); every other field is sent as given.
//! What is shortened:
//!
//! - `message`, `reasoning`, `tool_name` and `error` are cut at a character
//!   boundary and end with `…` (U+2026);
//! - `parameters` and `result` that are JSON strings are cut the same way;
//!   any other value is sent whole or replaced by
//!   `{"truncated": true, "bytes": <size of its JSON text>}`.
//!
//! The room the rest of the envelope leaves is shared between these
//! fields: one that fits an equal share is sent whole, and what it does not
//! use goes to the larger ones, so a short `tool_name` or `error` survives
//! a huge `result`. Each event is cut on its own: `tool_executing` and
//! `tool_completed` of one call may carry different cuts of a long
//! `tool_name` (the `tool_call_id` pairs them).
//!
//! An `agent_name` longer than 256 bytes is cut to 256 bytes, ending with
//! `…`, for every event of the run, and `agent_started` is marked
//! `truncated`.
//!
//! A custom [`#[agent_event]`](crate::agent_event) over the limit is not
//! emitted: `emit!` returns [`Error::EventTooLarge`](crate::Error::EventTooLarge)
//! and no `seq` is used.
#![allow(non_camel_case_types)]

use serde_json::Value;

use crate::agent_event;

/// Starts a run: `let run = emit!(bridge, agent_started { agent_name: "researcher" })`.
#[agent_event(__lifecycle)]
#[derive(Debug, Clone)]
pub struct agent_started {
    /// The agent's name, sent as the envelope's `agent_name` of every event
    /// of the run; at most 256 bytes of it (see [the size limit](self#the-size-limit)).
    /// `emit!` takes a string literal, checked at compile time, or an
    /// [`AgentName`](crate::AgentName): never an empty or blank name.
    pub agent_name: String,
    /// An optional message shown when the run starts.
    pub message: Option<String>,
}

/// What the agent is thinking: `emit!(run, agent_thinking { reasoning: .. })`.
#[agent_event(__lifecycle)]
#[derive(Debug, Clone)]
pub struct agent_thinking {
    /// The agent's reasoning, shown to the user.
    pub reasoning: String,
    /// Which step of the run this is.
    pub step_number: Option<u32>,
    /// How far the run is, from 0 to 100.
    pub progress_percentage: Option<f64>,
}

/// A tool call begins: `let call = emit!(run, tool_executing { tool_name: .., parameters: .. })`.
#[agent_event(__lifecycle)]
#[derive(Debug, Clone)]
pub struct tool_executing {
    /// The tool's name.
    pub tool_name: String,
    /// The tool's arguments; `{}` when left out.
    pub parameters: Option<Value>,
}

/// A tool call ends: `emit!(call, tool_completed { result: .. })`, or with
/// `error: ..` for a failed call (status `error`).
#[agent_event(__lifecycle)]
#[derive(Debug, Clone)]
pub struct tool_completed {
    /// What the tool returned.
    pub result: Option<Value>,
    /// Why the tool failed; makes the status `error`.
    pub error: Option<String>,
}

/// The run ends: `emit!(run, agent_completed { result: .. })`, or with
/// `error: ..` for a failed run (status `failed`).
#[agent_event(__lifecycle)]
#[derive(Debug, Clone)]
pub struct agent_completed {
    /// The run's result.
    pub result: Option<Value>,
    /// Why the run failed; makes the status `failed`.
    pub error: Option<String>,
}

/// The lifecycle table `emit!` checks against, as
/// `(event, &[(field, required)])`: what the structs above are checked
/// against when they are declared, and what the README's payload table is
/// tested against.
#[doc(hidden)]
pub const __VOCABULARY: &[(&str, &[(&str, bool)])] = agentwire_macros::__lifecycle_vocabulary!();
