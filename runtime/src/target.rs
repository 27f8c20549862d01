//! What each event can be emitted on: one trait per kind of target, each
//! with its own diagnostic, so a wrong first argument to `emit!` says where
//! the right one comes from.

use crate::{AgentBridge, Run, ToolCall};

#[diagnostic::on_unimplemented(
    message = "`agent_started` is emitted on an `AgentBridge`, and `{Self}` is not one",
    label = "expected an `AgentBridge` here",
    note = "a bridge comes from the one factory: `let bridge = factory.create_manager(&ctx).await?.bridge();`"
)]
/// What `agent_started` can be emitted on.
pub trait BridgeTarget {
    #[doc(hidden)]
    fn bridge(&self) -> &AgentBridge;
}

#[diagnostic::do_not_recommend]
impl BridgeTarget for AgentBridge {
    fn bridge(&self) -> &AgentBridge {
        self
    }
}

#[diagnostic::do_not_recommend]
impl<T: BridgeTarget + ?Sized> BridgeTarget for &T {
    fn bridge(&self) -> &AgentBridge {
        (**self).bridge()
    }
}

#[diagnostic::on_unimplemented(
    message = "this event is emitted on a `Run`, and `{Self}` is not one",
    label = "expected a `Run` (or `&Run`) here",
    note = "a run comes from `let run = emit!(bridge, agent_started {{ agent_name: .. }});`, or is the `run: &Run` parameter of an #[agent] handler"
)]
/// What `agent_thinking`, `tool_executing` and custom events can be emitted on.
pub trait RunTarget {
    #[doc(hidden)]
    fn run(&self) -> &Run;
}

#[diagnostic::do_not_recommend]
impl RunTarget for Run {
    fn run(&self) -> &Run {
        self
    }
}

#[diagnostic::do_not_recommend]
impl<T: RunTarget + ?Sized> RunTarget for &T {
    fn run(&self) -> &Run {
        (**self).run()
    }
}

#[diagnostic::on_unimplemented(
    message = "`agent_completed` consumes the run it ends, and `{Self}` is not an owned `Run`",
    label = "expected the `Run` returned by `emit!(bridge, agent_started {{ .. }})`",
    note = "inside an #[agent] handler the run is borrowed: return `Ok(result)` or `Err(error)` and #[agent] emits `agent_completed`"
)]
/// What `agent_completed` can be emitted on: an owned run only.
pub trait OwnedRun {
    #[doc(hidden)]
    fn into_run(self) -> Run;
}

#[diagnostic::do_not_recommend]
impl OwnedRun for Run {
    fn into_run(self) -> Run {
        self
    }
}

#[diagnostic::on_unimplemented(
    message = "`tool_completed` closes a `ToolCall`, and `{Self}` is not one",
    label = "expected the `ToolCall` returned by `emit!(run, tool_executing {{ .. }})`",
    note = "write `let call = emit!(run, tool_executing {{ tool_name: .. }});` and later `emit!(call, tool_completed {{ result: .. }});`"
)]
/// What `tool_completed` can be emitted on.
pub trait OpenToolCall<'run> {
    #[doc(hidden)]
    fn into_call(self) -> ToolCall<'run>;
}

#[diagnostic::do_not_recommend]
impl<'run> OpenToolCall<'run> for ToolCall<'run> {
    fn into_call(self) -> ToolCall<'run> {
        self
    }
}
