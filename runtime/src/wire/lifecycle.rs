//! The payloads of the five lifecycle events: which keys each carries, in
//! which order, and which of their values may be cut to fit.

use std::time::Duration;

use serde_json::Value;

use super::payload::PayloadWriter;
use super::status::{RunStatus, ToolStatus};
use crate::builder::Event;
use crate::events::{
    agent_completed, agent_started, agent_thinking, tool_completed, tool_executing,
};
use crate::ToolCallId;

/// A lifecycle event's payload, as [`Tail::lifecycle`](super::Tail::lifecycle)
/// writes it.
pub(crate) trait Lifecycle {
    /// The wire `type`.
    const TYPE: &'static str;

    /// Whether a value outside the payload was cut already (the run's
    /// `agent_name`), so that the payload says `truncated` whatever its size.
    fn cut_before(&self) -> bool {
        false
    }

    /// Writes the payload's fields. Called once, or twice when they do not
    /// fit (see [`PayloadWriter`]).
    fn fields(&self, p: &mut PayloadWriter<'_>);
}

/// `agent_started`: `message?`.
pub(crate) struct Started<'a> {
    pub(crate) message: Option<&'a str>,
    /// The run's `agent_name` was cut.
    pub(crate) name_cut: bool,
}

impl Lifecycle for Started<'_> {
    const TYPE: &'static str = agent_started::NAME;

    fn cut_before(&self) -> bool {
        self.name_cut
    }

    #[inline]
    fn fields(&self, p: &mut PayloadWriter<'_>) {
        if let Some(message) = self.message {
            p.text("message", message);
        }
    }
}

/// `agent_thinking`: `reasoning`, `step_number?`, `progress_percentage?`.
pub(crate) struct Thinking<'a>(pub(crate) &'a agent_thinking);

impl Lifecycle for Thinking<'_> {
    const TYPE: &'static str = agent_thinking::NAME;

    #[inline]
    fn fields(&self, p: &mut PayloadWriter<'_>) {
        let event = self.0;
        p.text("reasoning", &event.reasoning);
        if let Some(step) = event.step_number {
            p.uint("step_number", step.into());
        }
        // JSON has no NaN or infinity; such a value is left out.
        if let Some(progress) = event.progress_percentage.filter(|p| p.is_finite()) {
            p.float("progress_percentage", progress);
        }
    }
}

/// `tool_executing`: `tool_call_id`, `tool_name`, `parameters` (`{}` when
/// left out).
pub(crate) struct Executing<'a> {
    pub(crate) id: &'a ToolCallId,
    pub(crate) event: &'a tool_executing,
}

impl Lifecycle for Executing<'_> {
    const TYPE: &'static str = tool_executing::NAME;

    #[inline]
    fn fields(&self, p: &mut PayloadWriter<'_>) {
        p.exact("tool_call_id", self.id.as_str());
        p.text("tool_name", &self.event.tool_name);
        match &self.event.parameters {
            Some(value) => p.json("parameters", value),
            None => p.raw("parameters", "{}"),
        }
    }
}

/// How a tool call or a run ended: the closing fields `tool_completed` and
/// `agent_completed` share.
pub(crate) struct Outcome<'a, S> {
    pub(crate) status: S,
    pub(crate) result: Option<&'a Value>,
    pub(crate) error: Option<&'a str>,
    pub(crate) elapsed: Duration,
}

impl<S> Outcome<'_, S> {
    /// `status`, `result?`, `error?`, `execution_time_ms`.
    #[inline]
    fn fields(&self, status: &'static str, p: &mut PayloadWriter<'_>) {
        p.exact("status", status);
        if let Some(result) = self.result {
            p.json("result", result);
        }
        if let Some(error) = self.error {
            p.text("error", error);
        }
        p.uint("execution_time_ms", self.elapsed.as_millis() as u64);
    }
}

/// `tool_completed`: `tool_call_id`, `tool_name`, then the [`Outcome`].
pub(crate) struct ToolCompleted<'a> {
    pub(crate) id: &'a ToolCallId,
    pub(crate) tool_name: &'a str,
    pub(crate) outcome: Outcome<'a, ToolStatus>,
}

impl Lifecycle for ToolCompleted<'_> {
    const TYPE: &'static str = tool_completed::NAME;

    #[inline]
    fn fields(&self, p: &mut PayloadWriter<'_>) {
        p.exact("tool_call_id", self.id.as_str());
        p.text("tool_name", self.tool_name);
        self.outcome.fields(self.outcome.status.as_str(), p);
    }
}

/// `agent_completed`: the [`Outcome`].
pub(crate) struct AgentCompleted<'a>(pub(crate) Outcome<'a, RunStatus>);

impl Lifecycle for AgentCompleted<'_> {
    const TYPE: &'static str = agent_completed::NAME;

    #[inline]
    fn fields(&self, p: &mut PayloadWriter<'_>) {
        self.0.fields(self.0.status.as_str(), p);
    }
}
