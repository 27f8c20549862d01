//! # agentwire
//!
//! Stream typed AI-agent lifecycle events to exactly the right user's
//! browser tabs over WebSocket. **The only way to emit is the right way, and
//! the compiler says so**: agents emit through a bridge that only the one
//! factory hands out, the five lifecycle events can only be emitted in a
//! legal order, and event and field names are checked at compile time.
//!
//! ```
//! use agentwire::prelude::*;
//! use serde_json::json;
//!
//! async fn answer(factory: &WebSocketManagerFactory, user: UserId) -> Result<(), agentwire::Error> {
//!     let ctx = UserExecutionContext::new(user, ThreadId::new("thread-1")?);
//!     let manager = factory.create_manager(&ctx).await?;      // the one factory, async
//!     let bridge = manager.bridge();                           // bound to ctx's user and thread
//!     let run = emit!(bridge, agent_started { agent_name: "researcher" });
//!     emit!(run, agent_thinking { reasoning: "Looking for GPU prices" });
//!     let call = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": "h100"}) });
//!     emit!(call, tool_completed { result: json!({"hits": 3}) });
//!     emit!(run, agent_completed { result: json!({"answer": "3 offers"}) });
//!     Ok(())
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), agentwire::Error> {
//! # let hub = Hub::builder().build()?;
//! # let alice = UserId::new("alice")?;
//! # let ctx = UserExecutionContext::new(alice.clone(), ThreadId::new("thread-1")?);
//! # let mut events = hub.factory().create_manager(&ctx).await?.subscribe();
//! # answer(&hub.factory(), alice).await?;
//! # for ty in ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"] {
//! #     assert_eq!(events.recv().await.unwrap().event_type(), ty);
//! # }
//! # Ok(()) }
//! ```
//!
//! The handler form: [`#[agent]`](macro@agent) emits `agent_started` on entry and
//! exactly one `agent_completed` on return, error or panic.
//!
//! ```
//! use agentwire::prelude::*;
//! use serde_json::json;
//! # async fn search(q: &str) -> Vec<String> { vec![q.to_owned()] }
//!
//! #[agent(name = "researcher")]
//! async fn researcher(run: &Run, msg: UserMessage) -> Result<serde_json::Value, AgentError> {
//!     emit!(run, agent_thinking { reasoning: format!("Reading: {}", msg.content) });
//!     let call = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": msg.content}) });
//!     let hits = search(&msg.content).await;
//!     emit!(call, tool_completed { result: json!(hits) });
//!     Ok(json!({ "answer": hits.len() }))
//! }
//! ```
//!
//! Events of one user are numbered by `seq`, kept in a bounded replay
//! buffer, and delivered to each of the user's subscribers and connections
//! without ever blocking the agent.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

extern crate self as agentwire;

mod agent;
mod agent_name;
mod bridge;
mod builder;
mod context;
mod control;
mod error;
pub mod events;
mod factory;
mod hub;
mod id;
mod legacy;
mod log;
pub mod metrics;
mod queue;
mod run;
#[cfg(feature = "schema")]
pub mod schema;
pub mod server;
mod target;
mod wire;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use agent::{Agent, AgentError, RunOutcome};
pub use agent_name::AgentName;
pub use bridge::AgentBridge;
pub use context::{UserExecutionContext, UserMessage};
pub use error::Error;
pub use factory::{UserWebSocketManager, WebSocketManagerFactory};
pub use hub::{Hub, HubBuilder};
pub use id::{ConnectionId, RequestId, RunId, ThreadId, ToolCallId, UserId, MAX_ID_LEN};
#[doc(hidden)]
pub use legacy::callables::*;
pub use log::{RecvError, Subscription, WireEvent};
pub use run::{Run, ToolCall};
pub use wire::{RunStatus, ToolStatus};

/// Declares an event type.
///
/// The five lifecycle events are declared with it in [`events`]. Declare your
/// own run-scoped events the same way and emit them with
/// `emit!(run, your_event { .. })`, which returns `Result<(), Error>` (a
/// custom payload can fail to serialise, or be over the hub's
/// [`max_event_size`](HubBuilder::max_event_size): it is then not emitted).
/// Fields of type `Option<_>` may be left out of `emit!`; the others are
/// required, checked at compile time.
/// As with a struct literal, the fields must be visible where `emit!` is
/// written (make them `pub` to emit from other modules).
/// The wire `type` is the struct's name in `snake_case`, or `name = ".."`.
/// A custom event cannot take a lifecycle name.
///
/// Arguments: `name = "wire_name"`, and `crate = path` when the `agentwire`
/// dependency is renamed.
///
/// ```
/// use agentwire::prelude::*;
///
/// #[agent_event]
/// pub struct progress_update {
///     pub percent: u8,
///     pub note: Option<String>,
/// }
///
/// # fn demo(run: &Run) -> Result<(), agentwire::Error> {
/// emit!(run, progress_update { percent: 40 })?;
/// emit!(run, progress_update { percent: 80, note: "almost there" })?;
/// # Ok(()) }
/// ```
pub use agentwire_macros::agent_event;

/// Turns an `async fn(run: &Run, message: UserMessage) -> Result<T, E>` into
/// an [`Agent`].
///
/// The function's name becomes a unit struct implementing [`Agent`]; its
/// `handle` emits `agent_started`, runs the body, and emits exactly one
/// `agent_completed`: `completed` with `T` serialised as the result, `failed`
/// with `E`'s `Display` as the error, `failed` if the body panics (the panic
/// does not escape), `cancelled` if the future is dropped, the run is
/// cancelled (a client's `cancel_run`), or it outlives its time budget (then
/// the handler is no longer awaited; see [`Run::cancelled`]).
///
/// Arguments: `name = "agent_name"` (default: the function's name),
/// `timeout = "30s"` (the run's time budget, a whole number of `ms`, `s`,
/// `m` or `h`; default: the hub's [`run_budget`](HubBuilder::run_budget)),
/// and `crate = path` when the `agentwire` dependency is renamed.
///
/// ```
/// use agentwire::prelude::*;
///
/// #[agent(name = "researcher", timeout = "2m")]
/// async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
///     emit!(run, agent_thinking { reasoning: "reading" });
///     Ok(format!("read {} bytes", msg.content.len()))
/// }
/// assert_eq!(researcher.name(), "researcher");
/// ```
pub use agentwire_macros::agent;

/// Emits an event: `emit!(target, event_name { field: value, .. })`.
///
/// | event | on | yields |
/// |---|---|---|
/// | `agent_started { agent_name, message? }` | [`AgentBridge`] | [`Run`] |
/// | `agent_thinking { reasoning, step_number?, progress_percentage? }` | [`Run`] | `()` |
/// | `tool_executing { tool_name, parameters? }` | [`Run`] | [`ToolCall`] |
/// | `tool_completed { result?, error? }` | [`ToolCall`] (consumed) | `()` |
/// | `agent_completed { result?, error? }` | [`Run`] (consumed) | `()` |
/// | a custom [`#[agent_event]`](agent_event) | [`Run`] | `Result<(), Error>` |
///
/// Names are checked at compile time; a misspelt or legacy name, or an
/// event given as a string or a value (`emit!(bridge, "agent_started",
/// data)`), is a compile error that says what to write. `agent_name` is a
/// string literal, checked at compile time (a blank one does not compile),
/// or an [`AgentName`] validated at run time with `AgentName::new(name)?`. Shorthand `{ reasoning }` works as
/// in struct literals. Lifecycle events over the hub's size limit are cut
/// to fit, custom ones refused: see [the size limit](events#the-size-limit).
///
/// ```
/// use agentwire::prelude::*;
/// use serde_json::json;
///
/// # fn demo(bridge: &AgentBridge) {
/// let run = emit!(bridge, agent_started { agent_name: "researcher", message: "on it" });
/// let reasoning = "Comparing offers";
/// emit!(run, agent_thinking { reasoning, step_number: 2u32, progress_percentage: 50.0 });
/// let call = emit!(run, tool_executing { tool_name: "search" });
/// emit!(call, tool_completed { error: "search is down" });
/// emit!(run, agent_completed { error: "no offers found" });
/// # }
/// ```
#[macro_export]
macro_rules! emit {
    ($($tokens:tt)*) => {
        $crate::__private::__emit!($crate; $($tokens)*)
    };
}

/// Everything needed to emit: `use agentwire::prelude::*;`.
pub mod prelude {
    pub use crate::{
        agent, agent_event, emit, Agent, AgentBridge, AgentError, AgentName, Hub, Run, RunStatus,
        ThreadId, ToolCall, ToolStatus, UserExecutionContext, UserId, UserMessage,
        UserWebSocketManager, WebSocketManagerFactory,
    };

    // The removed callables, so that code written against earlier designs
    // gets the message naming the replacement rather than "not found".
    #[doc(hidden)]
    pub use crate::legacy::callables::*;
}
