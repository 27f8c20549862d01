//! Agents: what the hub runs for a `user_message`, and the driver every
//! [`#[agent]`](macro@crate::agent) handler runs in.

use std::any::Any;
use std::fmt::{self, Display};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt};

use crate::control::Cancel;
use crate::events::{agent_completed, agent_started};
use crate::{AgentBridge, Run, RunId, RunStatus, UserMessage};

/// An agent the hub can run for a user's `user_message`.
///
/// Implemented by [`#[agent]`](macro@crate::agent) on an async handler; register
/// agents with [`HubBuilder::agent`](crate::HubBuilder::agent). Calling
/// [`handle`](Agent::handle) directly runs the agent on a bridge of your own.
///
/// ```
/// use agentwire::prelude::*;
/// use serde_json::json;
///
/// #[agent(name = "echo")]
/// async fn echo(run: &Run, msg: UserMessage) -> Result<serde_json::Value, AgentError> {
///     emit!(run, agent_thinking { reasoning: "echoing" });
///     Ok(json!({ "echo": msg.content }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let hub = Hub::builder().agent(echo).build()?;
/// let ctx = UserExecutionContext::new(UserId::new("alice")?, ThreadId::new("t")?);
/// let bridge = hub.factory().create_manager(&ctx).await?.bridge();
/// let outcome = echo.handle(bridge, UserMessage::new("hi")).await;
/// assert_eq!(outcome.status(), RunStatus::Completed);
/// # Ok(()) }
/// ```
pub trait Agent: Send + Sync + 'static {
    /// The agent's name: what clients put in `user_message.agent`, and the
    /// envelope's `agent_name`.
    fn name(&self) -> &'static str;

    /// Runs the agent for `message`: emits `agent_started`, lets the handler
    /// work, and ends with exactly one `agent_completed`.
    fn handle(&self, bridge: AgentBridge, message: UserMessage) -> BoxFuture<'static, RunOutcome>;
}

/// How a run of an [`Agent`] ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub(crate) run_id: RunId,
    pub(crate) status: RunStatus,
}

impl RunOutcome {
    /// The run's id.
    pub fn run_id(&self) -> &RunId {
        &self.run_id
    }

    /// `completed` or `failed`, as sent in `agent_completed`.
    pub fn status(&self) -> RunStatus {
        self.status
    }
}

/// A ready-made error type for handlers: any message, shown to the user as
/// the run's `error`.
///
/// ```
/// use agentwire::AgentError;
/// let err = AgentError::new("search backend is down");
/// assert_eq!(err.to_string(), "search backend is down");
/// let err: AgentError = std::io::Error::other("disk").into();
/// assert_eq!(err.to_string(), "disk");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentError(String);

impl AgentError {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        AgentError(message.into())
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for AgentError {
    fn from(e: E) -> Self {
        AgentError(e.to_string())
    }
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

/// The body of every `#[agent]`'s [`Agent::handle`]: starts the run, drives
/// the handler inside the run's span, and ends the run exactly once:
/// `completed` with the handler's `Ok` value, `failed` with its `Err` or
/// its panic (which does not escape), `cancelled` when the future is
/// dropped, the run is cancelled, or it outlives its budget (the hub's
/// [`run_budget`](crate::HubBuilder::run_budget)).
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

/// [`run_agent`] for `#[agent(timeout = "..")]`: the run's budget is `budget`.
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
        let mut run = Run::start(
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
                outcome = AssertUnwindSafe(handler).catch_unwind() => Some(outcome),
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
