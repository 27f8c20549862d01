//! Runs and tool calls: the typed halves of the lifecycle.
//!
//! A [`Run`] exists between `agent_started` and `agent_completed`; a
//! [`ToolCall`] between `tool_executing` and `tool_completed`, borrowing its
//! run so the run cannot complete while the call is open. Dropping either
//! without its closing event emits the closing event itself.

use std::cell::Cell;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use crate::bridge::AgentBridge;
use crate::events::{
    agent_completed, agent_started, agent_thinking, tool_completed, tool_executing,
};
use crate::log::UserLog;
use crate::wire::{self, RunStatus, ToolStatus};
use crate::{Error, RunId, ThreadId, ToolCallId, UserId};

/// The largest scratch buffer a thread keeps between emits.
const SCRATCH_KEPT: usize = 64 * 1024;

/// One run of an agent, started by `emit!(bridge, agent_started { .. })`.
///
/// `agent_thinking`, `tool_executing` and custom events are emitted on it;
/// `emit!(run, agent_completed { .. })` consumes it, so nothing can follow.
/// A run dropped without `agent_completed` (an early `?`, a panic, a
/// cancelled task) emits `agent_completed` with status `failed` itself, so
/// every run ends exactly once. Inside an [`#[agent]`](crate::agent) handler
/// the run is borrowed and the macro ends it.
///
/// ```
/// use agentwire::prelude::*;
/// use serde_json::json;
///
/// # fn demo(bridge: &AgentBridge) {
/// let run = emit!(bridge, agent_started { agent_name: "researcher" });
/// emit!(run, agent_thinking { reasoning: "Looking for GPU prices", step_number: 1u32 });
/// emit!(run, agent_completed { result: json!({"answer": 3}) });
/// # }
/// ```
pub struct Run {
    log: Arc<UserLog>,
    id: RunId,
    thread: ThreadId,
    agent_name: Arc<str>,
    /// `,"user_id":..,"thread_id":..,"run_id":..,"agent_name":..`, written once.
    envelope: Box<[u8]>,
    started: Instant,
    ended: bool,
    /// Set by `#[agent]`, which owns the run: a drop then means cancellation.
    cancel_on_drop: bool,
    /// Tool calls emitted but not completed. A `ToolCall` closes its own
    /// entry; whatever is left when the run ends (a call leaked with
    /// `mem::forget`) is closed as `cancelled` before `agent_completed`.
    open_calls: Mutex<Vec<OpenCall>>,
}

struct OpenCall {
    id: ToolCallId,
    tool_name: Arc<str>,
    started: Instant,
}

impl Run {
    pub(crate) fn start(bridge: &AgentBridge, event: agent_started) -> Run {
        let id = RunId::fresh();
        let mut envelope = Vec::with_capacity(160);
        for (key, value) in [
            ("user_id", bridge.user_id().as_str()),
            ("thread_id", bridge.thread.as_str()),
            ("run_id", id.as_str()),
            ("agent_name", event.agent_name.as_str()),
        ] {
            envelope.push(b',');
            wire::push_key(&mut envelope, key);
            wire::push_str(&mut envelope, value);
        }
        let run = Run {
            log: bridge.log.clone(),
            id,
            thread: bridge.thread.clone(),
            agent_name: Arc::from(event.agent_name),
            envelope: envelope.into_boxed_slice(),
            started: Instant::now(),
            ended: false,
            cancel_on_drop: false,
            open_calls: Mutex::new(Vec::new()),
        };
        run.emit("agent_started", |p| {
            if let Some(message) = &event.message {
                wire::push_key(p, "message");
                wire::push_str(p, message);
            }
            Ok(())
        })
        .unwrap_or_default();
        run
    }

    /// This run's id, as in every envelope's `run_id`.
    pub fn id(&self) -> &RunId {
        &self.id
    }

    /// The user this run emits to.
    pub fn user_id(&self) -> &UserId {
        self.log.user()
    }

    /// The thread this run belongs to.
    pub fn thread_id(&self) -> &ThreadId {
        &self.thread
    }

    /// The agent's name, as in every envelope's `agent_name`.
    pub fn agent_name(&self) -> &str {
        &self.agent_name
    }

    pub(crate) fn cancel_on_drop(&mut self) {
        self.cancel_on_drop = true;
    }

    /// Writes the envelope around the payload written by `payload` (the
    /// object's fields, without braces) and appends it to the user's log.
    /// Returns the event's `seq`.
    ///
    /// Everything but the `type` and `seq` head is written here, outside
    /// the user's lock, into a buffer the thread reuses; the log copies it
    /// once into the frame, sized exactly, since frames stay in the replay
    /// buffer.
    pub(crate) fn emit(
        &self,
        event_type: &str,
        payload: impl FnOnce(&mut Vec<u8>) -> Result<(), serde_json::Error>,
    ) -> Result<u64, serde_json::Error> {
        thread_local! {
            static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
        }
        // Taken, not borrowed: a payload that emits while it serialises
        // finds an empty buffer and works on its own (so does an emit from
        // a thread-local destructor, once the buffer is gone).
        let mut tail = SCRATCH.try_with(Cell::take).unwrap_or_default();
        tail.clear();
        let written = self.write_tail(&mut tail, payload);
        let seq = written.map(|now| self.log.append(event_type, &tail, wire::unix_ms(now)));
        if tail.capacity() <= SCRATCH_KEPT {
            let _ = SCRATCH.try_with(|scratch| scratch.set(tail));
        }
        seq
    }

    fn write_tail(
        &self,
        tail: &mut Vec<u8>,
        payload: impl FnOnce(&mut Vec<u8>) -> Result<(), serde_json::Error>,
    ) -> Result<SystemTime, serde_json::Error> {
        let now = SystemTime::now();
        tail.extend_from_slice(b",\"event_id\":\"");
        crate::id::write_fresh("evt", tail);
        tail.push(b'"');
        tail.extend_from_slice(&self.envelope);
        tail.extend_from_slice(b",\"timestamp\":");
        wire::push_timestamp(tail, now);
        tail.extend_from_slice(b",\"payload\":{");
        payload(tail)?;
        tail.extend_from_slice(b"}}");
        Ok(now)
    }

    pub(crate) fn think(&self, event: agent_thinking) {
        self.emit("agent_thinking", |p| {
            wire::push_key(p, "reasoning");
            wire::push_str(p, &event.reasoning);
            if let Some(step) = event.step_number {
                p.push(b',');
                wire::push_key(p, "step_number");
                wire::push_u64(p, step.into());
            }
            // JSON has no NaN or infinity; such a value is left out.
            if let Some(progress) = event.progress_percentage.filter(|p| p.is_finite()) {
                p.push(b',');
                wire::push_key(p, "progress_percentage");
                wire::push_json(p, &progress)?;
            }
            Ok(())
        })
        .unwrap_or_default();
    }

    pub(crate) fn execute_tool(&self, event: tool_executing) -> ToolCall<'_> {
        let id = ToolCallId::fresh();
        self.emit("tool_executing", |p| {
            wire::push_key(p, "tool_call_id");
            wire::push_str(p, id.as_str());
            p.push(b',');
            wire::push_key(p, "tool_name");
            wire::push_str(p, &event.tool_name);
            p.push(b',');
            wire::push_key(p, "parameters");
            match &event.parameters {
                Some(value) => wire::push_value(p, value),
                None => p.extend_from_slice(b"{}"),
            }
            Ok(())
        })
        .unwrap_or_default();
        let tool_name: Arc<str> = Arc::from(event.tool_name);
        self.open_calls().push(OpenCall {
            id: id.clone(),
            tool_name: tool_name.clone(),
            started: Instant::now(),
        });
        ToolCall {
            run: self,
            id,
            tool_name,
            ended: false,
        }
    }

    fn open_calls(&self) -> std::sync::MutexGuard<'_, Vec<OpenCall>> {
        // The list is consistent after every push and remove.
        self.open_calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Emits `tool_completed` for the open call `id`, once.
    fn close_tool(
        &self,
        id: &ToolCallId,
        status: ToolStatus,
        result: Option<&serde_json::Value>,
        error: Option<&str>,
    ) {
        let call = {
            let mut open = self.open_calls();
            match open.iter().position(|c| &c.id == id) {
                Some(i) => open.swap_remove(i),
                None => return,
            }
        };
        self.emit_tool_completed(&call, status, result, error);
    }

    fn emit_tool_completed(
        &self,
        call: &OpenCall,
        status: ToolStatus,
        result: Option<&serde_json::Value>,
        error: Option<&str>,
    ) {
        let elapsed = call.started.elapsed();
        self.emit("tool_completed", |p| {
            wire::push_key(p, "tool_call_id");
            wire::push_str(p, call.id.as_str());
            p.push(b',');
            wire::push_key(p, "tool_name");
            wire::push_str(p, &call.tool_name);
            p.push(b',');
            write_outcome(p, status.as_str(), result, error, elapsed);
            Ok(())
        })
        .unwrap_or_default();
    }

    pub(crate) fn emit_custom<E: crate::__private::CustomEvent>(
        &self,
        event: &E,
    ) -> Result<(), Error> {
        self.emit(E::NAME, |p| {
            // The payload is the event's own object; its fields go inside ours.
            let start = p.len();
            wire::push_json(p, event)?;
            match (p.get(start), p.last()) {
                (Some(b'{'), Some(b'}')) => {
                    p.remove(start);
                    p.pop();
                    Ok(())
                }
                _ => Err(serde::ser::Error::custom(
                    "an event must serialise as a JSON object",
                )),
            }
        })
        .map(drop)
        .map_err(|source| Error::Serialize {
            event: E::NAME,
            source,
        })
    }

    /// Ends the run; `error` wins over `result` for the status.
    pub(crate) fn complete(mut self, event: agent_completed) -> RunStatus {
        let status = if event.error.is_some() {
            RunStatus::Failed
        } else {
            RunStatus::Completed
        };
        self.finish(status, event.result.as_ref(), event.error.as_deref());
        status
    }

    pub(crate) fn finish(
        &mut self,
        status: RunStatus,
        result: Option<&serde_json::Value>,
        error: Option<&str>,
    ) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let leaked = std::mem::take(&mut *self.open_calls());
        for call in &leaked {
            self.emit_tool_completed(
                call,
                ToolStatus::Cancelled,
                None,
                Some("the run ended while the tool call was open"),
            );
        }
        let elapsed = self.started.elapsed();
        self.emit("agent_completed", |p| {
            write_outcome(p, status.as_str(), result, error, elapsed);
            Ok(())
        })
        .unwrap_or_default();
    }
}

/// The closing fields shared by `tool_completed` and `agent_completed`:
/// `status`, `result?`, `error?`, `execution_time_ms`.
fn write_outcome(
    p: &mut Vec<u8>,
    status: &str,
    result: Option<&serde_json::Value>,
    error: Option<&str>,
    elapsed: std::time::Duration,
) {
    wire::push_key(p, "status");
    wire::push_str(p, status);
    if let Some(result) = result {
        p.push(b',');
        wire::push_key(p, "result");
        wire::push_value(p, result);
    }
    if let Some(error) = error {
        p.push(b',');
        wire::push_key(p, "error");
        wire::push_str(p, error);
    }
    p.push(b',');
    wire::push_key(p, "execution_time_ms");
    wire::push_u64(p, elapsed.as_millis() as u64);
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let (status, error) = if std::thread::panicking() {
            (RunStatus::Failed, "the agent panicked")
        } else if self.cancel_on_drop {
            (RunStatus::Cancelled, "the run was cancelled")
        } else {
            (RunStatus::Failed, "the run ended without agent_completed")
        };
        self.finish(status, None, Some(error));
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("id", &self.id)
            .field("user", self.user_id())
            .field("thread", &self.thread)
            .field("agent_name", &self.agent_name)
            .finish()
    }
}

/// An open tool call, returned by `emit!(run, tool_executing { .. })` and
/// closed by `emit!(call, tool_completed { .. })`.
///
/// It borrows its run, so the run cannot complete while the call is open;
/// several calls may be open at once. Dropped without `tool_completed`, it
/// emits `tool_completed` with status `cancelled` itself.
///
/// ```
/// use agentwire::prelude::*;
/// use serde_json::json;
///
/// # fn demo(run: &Run) {
/// let a = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": "h100"}) });
/// let b = emit!(run, tool_executing { tool_name: "prices" });
/// emit!(b, tool_completed { error: "upstream timed out" });
/// emit!(a, tool_completed { result: json!({"hits": 3}) });
/// # }
/// ```
#[must_use = "a tool call is closed by `emit!(call, tool_completed { .. })`; dropped, it reports `cancelled`"]
pub struct ToolCall<'run> {
    run: &'run Run,
    id: ToolCallId,
    tool_name: Arc<str>,
    ended: bool,
}

impl ToolCall<'_> {
    /// This call's id, as in `tool_call_id`.
    pub fn id(&self) -> &ToolCallId {
        &self.id
    }

    /// The tool's name.
    pub fn tool_name(&self) -> &str {
        &self.tool_name
    }

    /// The run this call belongs to.
    pub fn run(&self) -> &Run {
        self.run
    }

    pub(crate) fn complete(mut self, event: tool_completed) -> ToolStatus {
        let status = if event.error.is_some() {
            ToolStatus::Error
        } else {
            ToolStatus::Success
        };
        self.finish(status, event.result.as_ref(), event.error.as_deref());
        status
    }

    fn finish(
        &mut self,
        status: ToolStatus,
        result: Option<&serde_json::Value>,
        error: Option<&str>,
    ) {
        if !std::mem::replace(&mut self.ended, true) {
            self.run.close_tool(&self.id, status, result, error);
        }
    }
}

impl Drop for ToolCall<'_> {
    fn drop(&mut self) {
        if !self.ended {
            let error = if std::thread::panicking() {
                "the agent panicked during the tool call"
            } else {
                "the tool call ended without tool_completed"
            };
            self.finish(ToolStatus::Cancelled, None, Some(error));
        }
    }
}

impl fmt::Debug for ToolCall<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolCall")
            .field("id", &self.id)
            .field("tool_name", &self.tool_name)
            .field("run", &self.run.id)
            .finish()
    }
}
