//! What macro expansions name. Not a public API: no stability promises.
//!
//! Only re-exports and one-line forwarders: the builders live in
//! `builder.rs`, the emit targets in `target.rs`, the `#[agent]` driver in
//! `agent.rs`. The forwarders carry the target bounds, so that a wrong
//! first argument to `emit!` is reported against them.

pub use agentwire_macros::__emit;
pub use futures_util::future::BoxFuture;
pub use serde;

pub use crate::agent::{run_agent, run_agent_within, AgentFailure, AgentOutput};
pub use crate::builder::{
    check_field, CustomEvent, Event, FieldType, IntoField, OptionalField, RequiredField, Set,
    Through, Unset,
};
pub use crate::events;
pub use crate::target::{BridgeTarget, OpenToolCall, OwnedRun, RunTarget};

use crate::events::{
    agent_completed, agent_started, agent_thinking, tool_completed, tool_executing,
};
pub use crate::legacy::EmitTarget;
use crate::{Error, Run, ToolCall};

/// `emit!(bridge, agent_started { .. })`.
#[inline]
pub fn start_run<B: BridgeTarget + ?Sized>(bridge: &B, event: agent_started) -> Run {
    Run::start(bridge.bridge(), event)
}

/// `emit!(run, agent_thinking { .. })`.
#[inline]
pub fn think<R: RunTarget + ?Sized>(run: &R, event: agent_thinking) {
    run.run().think(event)
}

/// `emit!(run, tool_executing { .. })`.
#[inline]
pub fn execute_tool<R: RunTarget + ?Sized>(run: &R, event: tool_executing) -> ToolCall<'_> {
    run.run().execute_tool(event)
}

/// `emit!(call, tool_completed { .. })`.
#[inline]
pub fn complete_tool<'run, C: OpenToolCall<'run>>(call: C, event: tool_completed) {
    call.into_call().complete(event);
}

/// `emit!(run, agent_completed { .. })`.
#[inline]
pub fn complete_run<R: OwnedRun>(run: R, event: agent_completed) {
    run.into_run().complete(event);
}

/// `emit!(run, custom_event { .. })`.
#[inline]
pub fn emit_custom<R: RunTarget + ?Sized, E: CustomEvent>(run: &R, event: E) -> Result<(), Error> {
    run.run().emit_custom(&event)
}
