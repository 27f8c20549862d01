use std::fmt;

use crate::private::BoxFuture;
use crate::{AgentBridge, RunId, RunStatus, UserMessage};

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
