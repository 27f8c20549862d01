//! What macro expansions name. Not a public API: no stability promises.

use std::any::Any;
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use agentwire_macros::__emit;
pub use serde;

use crate::control::Cancel;
pub use crate::events;
use crate::events::{
    agent_completed, agent_started, agent_thinking, tool_completed, tool_executing,
};
use crate::{AgentBridge, Error, Run, RunOutcome, ToolCall, UserMessage};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A builder slot that has not been given a value.
pub struct Unset;

/// A builder slot that has.
pub struct Set<T>(pub T);

/// What an event's field accepts: the field's type itself, and for text and
/// JSON fields the usual borrowed forms.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be used for a field of type `{T}`",
    label = "expected a `{T}` here",
    note = "text fields take `&str` or `String`; `result` and `parameters` take a `serde_json::Value`, e.g. `json!(..)`"
)]
pub trait IntoField<T> {
    /// Converts the value.
    fn into_field(self) -> T;
}

impl<T> IntoField<T> for T {
    #[inline]
    fn into_field(self) -> T {
        self
    }
}

impl IntoField<String> for &str {
    #[inline]
    fn into_field(self) -> String {
        self.to_owned()
    }
}

impl IntoField<String> for &String {
    #[inline]
    fn into_field(self) -> String {
        self.clone()
    }
}

impl IntoField<String> for std::borrow::Cow<'_, str> {
    #[inline]
    fn into_field(self) -> String {
        self.into_owned()
    }
}

impl IntoField<serde_json::Value> for &str {
    #[inline]
    fn into_field(self) -> serde_json::Value {
        serde_json::Value::String(self.to_owned())
    }
}

impl IntoField<serde_json::Value> for String {
    #[inline]
    fn into_field(self) -> serde_json::Value {
        serde_json::Value::String(self)
    }
}

/// An optional field's slot: `None` unless given.
pub trait OptionalField<T> {
    /// The slot's value.
    fn take(self) -> Option<T>;
}

impl<T> OptionalField<T> for Unset {
    #[inline]
    fn take(self) -> Option<T> {
        None
    }
}

impl<T> OptionalField<T> for Set<T> {
    #[inline]
    fn take(self) -> Option<T> {
        Some(self.0)
    }
}

/// Implemented by `#[agent_event]` for every event type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event: declare it with `#[agent_event]`",
    label = "not an event",
    note = "`#[agent_event] pub struct {Self} {{ .. }}` makes it an event that `emit!(run, {Self} {{ .. }})` accepts"
)]
pub trait Event {
    /// The wire `type`.
    const NAME: &'static str;
    /// The typestate builder `emit!` drives, with no field given yet.
    type Builder;
    /// An empty builder.
    fn builder() -> Self::Builder;
}

/// A required field's builder slot: only a given (`Set`) slot has one.
#[diagnostic::on_unimplemented(
    message = "`emit!(.., {E} {{ .. }})` is missing the required field `{F}`",
    label = "add `{F}: ..` to this event",
    note = "only fields of type `Option<_>` may be left out"
)]
pub trait RequiredField<E, F> {
    /// The field's type.
    type Value;
    /// The given value.
    fn take(self) -> Self::Value;
}

#[diagnostic::do_not_recommend]
impl<E, F, T> RequiredField<E, F> for Set<T> {
    type Value = T;
    #[inline]
    fn take(self) -> T {
        self.0
    }
}

/// Implemented by `#[agent_event]` for user-declared, run-scoped events.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a custom event",
    label = "lifecycle events are named, not given by path",
    note = "write `emit!(run, agent_thinking {{ reasoning: .. }})` for a lifecycle event, and declare custom events with `#[agent_event]`"
)]
pub trait CustomEvent: Event + serde::Serialize {}

/// `emit!`'s field check for custom events: `field` is `|e| &e.name`, so a
/// name the event does not have is rustc's own "no field" error, which
/// lists the fields. The result is `builder`, typed through the field's
/// type `T`: when the field does not exist `T` stays unknown, the type of
/// the result with it, and rustc adds no second error for the setter call.
#[inline]
pub fn check_field<E, B, T>(
    builder: B,
    _field: impl FnOnce(&E) -> &T,
) -> <FieldType<T> as Through<B>>::Builder {
    <FieldType<T> as Through<B>>::through(builder)
}

/// See [`check_field`].
pub struct FieldType<T: ?Sized>(PhantomData<T>);

/// See [`check_field`].
pub trait Through<B> {
    /// `B`.
    type Builder;
    /// `builder`.
    fn through(builder: B) -> Self::Builder;
}

impl<B, T> Through<B> for FieldType<T> {
    type Builder = B;
    #[inline]
    fn through(builder: B) -> B {
        builder
    }
}

/// Never used: a second impl that an unknown `T` could match keeps rustc
/// from resolving `Through` before `T` is known (no field is a `str`).
impl<B> Through<B> for FieldType<str> {
    type Builder = B;
    #[inline]
    fn through(builder: B) -> B {
        builder
    }
}

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

/// What an `#[agent]` handler's `Ok` value can be: anything `Serialize`.
#[diagnostic::on_unimplemented(
    message = "an #[agent] handler's `Ok` value becomes the run's JSON `result`, and `{Self}` is not `serde::Serialize`",
    label = "`{Self}` must implement `serde::Serialize`",
    note = "derive it with `#[derive(serde::Serialize)]`, or return a `serde_json::Value` built with `json!(..)`"
)]
pub trait AgentOutput: serde::Serialize {}

#[diagnostic::do_not_recommend]
impl<T: serde::Serialize> AgentOutput for T {}

/// What an `#[agent]` handler's `Err` value can be: anything `Display`.
#[diagnostic::on_unimplemented(
    message = "an #[agent] handler's `Err` value becomes the run's `error` text, and `{Self}` does not implement `Display`",
    label = "`{Self}` must implement `std::fmt::Display`",
    note = "implement `Display` for it, or return `agentwire::AgentError`, which any error converts into with `?`"
)]
pub trait AgentFailure: Display {}

#[diagnostic::do_not_recommend]
impl<E: Display + ?Sized> AgentFailure for E {}

/// The body of every `#[agent]`: start, drive the handler, end exactly once.
/// The run's budget is the hub's [`run_budget`](crate::HubBuilder::run_budget).
pub fn run_agent<T, E, F>(
    bridge: AgentBridge,
    name: &'static str,
    message: UserMessage,
    handler: F,
) -> BoxFuture<'static, RunOutcome>
where
    F: for<'r> FnOnce(&'r Run, UserMessage) -> BoxFuture<'r, Result<T, E>> + Send + 'static,
    T: AgentOutput,
    E: AgentFailure,
{
    drive(bridge, name, None, message, handler)
}

/// [`run_agent`] for an `#[agent(timeout = "..")]`: the run's budget is
/// `budget`.
pub fn run_agent_within<T, E, F>(
    bridge: AgentBridge,
    name: &'static str,
    budget: Duration,
    message: UserMessage,
    handler: F,
) -> BoxFuture<'static, RunOutcome>
where
    F: for<'r> FnOnce(&'r Run, UserMessage) -> BoxFuture<'r, Result<T, E>> + Send + 'static,
    T: AgentOutput,
    E: AgentFailure,
{
    drive(bridge, name, Some(budget), message, handler)
}

fn drive<T, E, F>(
    bridge: AgentBridge,
    name: &'static str,
    budget: Option<Duration>,
    message: UserMessage,
    handler: F,
) -> BoxFuture<'static, RunOutcome>
where
    F: for<'r> FnOnce(&'r Run, UserMessage) -> BoxFuture<'r, Result<T, E>> + Send + 'static,
    T: AgentOutput,
    E: AgentFailure,
{
    Box::pin(async move {
        let budget = budget.or(bridge.log.limits().run_budget);
        let mut run = start_run(
            &bridge,
            agent_started {
                agent_name: name.to_owned(),
                message: None,
            },
        );
        run.cancel_on_drop();
        let span = run.span().clone();
        let outcome = {
            let handler = tracing::Instrument::instrument(handler(&run, message), span.clone());
            // The budget is only kept where there is a tokio timer to keep it.
            let deadline = budget.filter(|_| tokio::runtime::Handle::try_current().is_ok());
            let out_of_budget = async {
                match deadline {
                    Some(budget) => {
                        tokio::time::sleep(budget).await;
                        run.core().cancel(Cancel::Budget(budget));
                    }
                    None => std::future::pending().await,
                }
            };
            // A cancelled run has sent its terminal events already; the
            // handler is dropped without being polled again.
            tokio::select! {
                biased;
                outcome = CatchUnwind(handler) => Some(outcome),
                _ = run.cancelled() => None,
                _ = out_of_budget => None,
            }
        };
        let run_id = run.id().clone();
        let status = match outcome {
            None => run.core().status(),
            Some(Ok(Ok(value))) => match serde_json::to_value(&value) {
                Ok(result) => run.complete(agent_completed {
                    result: Some(result),
                    error: None,
                }),
                Err(e) => run.complete(agent_completed {
                    result: None,
                    error: Some(format!("the agent's result could not be serialised: {e}")),
                }),
            },
            Some(Ok(Err(error))) => {
                let error = error.to_string();
                tracing::info!(parent: &span, %error, "the agent returned an error");
                run.complete(agent_completed {
                    result: None,
                    error: Some(error),
                })
            }
            Some(Err(panic)) => {
                let panic = panic_message(&*panic);
                tracing::error!(parent: &span, panic, "the agent panicked");
                crate::metrics::handler_panicked(name);
                run.complete(agent_completed {
                    result: None,
                    error: Some(format!("the agent panicked: {panic}")),
                })
            }
        };
        tracing::debug!(parent: &span, status = status.as_str(), "run ended");
        RunOutcome { run_id, status }
    })
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Turns a panic while polling into an error value.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
