//! Tombstones of the call shapes of earlier designs: each fails to compile
//! with a message that names the replacement.
//!
//! Every tombstone is bounded by `for<'a> Removed: Shape`, a bound that
//! never holds: the higher-ranked form keeps rustc from rejecting it at the
//! definition, so it is checked at the caller, where the trait's
//! `on_unimplemented` message becomes the error. `Removed` and the traits
//! belong to this crate, so no other crate can implement them, and nothing
//! here can ever be called. Tombstones return a free type parameter so that
//! whatever the caller does with the result (`.await`, `?`, a method call)
//! adds no second error.
#![allow(missing_docs, clippy::new_ret_no_self, clippy::should_implement_trait)]

use crate::WebSocketManagerFactory;
use crate::{AgentBridge, Hub, Run, ToolCall, UserExecutionContext, UserWebSocketManager};

/// The `Self` of every tombstone bound; implements none of them.
#[doc(hidden)]
pub struct Removed;

macro_rules! shapes {
    ($($shape:ident: $message:literal, $label:literal, $note:literal;)*) => {$(
        #[doc(hidden)]
        #[diagnostic::on_unimplemented(message = $message, label = $label, note = $note)]
        pub trait $shape {}
    )*};
}

shapes! {
    GetWebsocketManagerFactory:
        "`get_websocket_manager_factory()` was removed: the factory comes from the hub: write `hub.factory()`",
        "there is no global factory",
        "then `let manager = factory.create_manager(&ctx).await?;` and `let bridge = manager.bridge();`";
    FactoryConstructor:
        "`WebSocketManagerFactory` has no constructor: the factory comes from the hub: write `hub.factory()`",
        "there is one factory per hub",
        "then `let manager = factory.create_manager(&ctx).await?;` and `let bridge = manager.bridge();`";
    GetWebsocketManager:
        "`get_websocket_manager(..)` was removed: write `factory.create_manager(&ctx).await?`",
        "managers come from the one factory",
        "the factory comes from `hub.factory()`; it creates a manager per user context, asynchronously";
    GetWebsocketManagerAsync:
        "`get_websocket_manager_async(..)` was removed: write `factory.create_manager(&ctx).await?`",
        "managers come from the one factory",
        "the factory comes from `hub.factory()`; it creates a manager per user context, asynchronously";
    CreateWebsocketManager:
        "`create_websocket_manager(..)` was removed: write `factory.create_manager(&ctx).await?`",
        "managers come from the one factory",
        "the factory comes from `hub.factory()`; it creates a manager per user context, asynchronously";
    CreateWebsocketManagerSync:
        "`create_websocket_manager_sync(..)` was removed: there is no sync variant: write `factory.create_manager(&ctx).await?`",
        "managers come from the one factory, asynchronously",
        "the factory comes from `hub.factory()`; it creates a manager per user context";
    FactoryGetManager:
        "`WebSocketManagerFactory::get_manager(..)` was removed: the factory is async only: write `factory.create_manager(&ctx).await?`",
        "there is no sync variant",
        "`create_manager` is the factory's only way to make a manager, so there is one way to get one";
    UnifiedManager:
        "`UnifiedWebSocketManager` was removed: managers are per user: write `factory.create_manager(&ctx).await?`",
        "there is no shared manager",
        "the factory comes from `hub.factory()`; the manager it creates is bound to ctx's user and thread";
    ManagerConstructor:
        "`UserWebSocketManager` has no constructor: write `factory.create_manager(&ctx).await?`",
        "managers come from the one factory",
        "the factory comes from `hub.factory()`; every manager it creates is bound to a user context";
    BridgeConstructor:
        "`AgentBridge` has no constructor: write `manager.bridge()`",
        "bridges come from a manager",
        "the manager comes from `factory.create_manager(&ctx).await?`; its bridge emits to ctx's user and thread only";
    RunConstructor:
        "`Run` has no constructor: write `let run = emit!(bridge, agent_started {{ agent_name: .. }});`",
        "runs are started with `emit!`",
        "the bridge comes from `manager.bridge()`; in an #[agent] handler the run is the `run: &Run` parameter";
    ToolCallConstructor:
        "`ToolCall` has no constructor: write `let call = emit!(run, tool_executing {{ tool_name: .. }});`",
        "tool calls are opened with `emit!`",
        "close it with `emit!(call, tool_completed {{ result: .. }});`";
    ContextWebsocketManager:
        "`UserExecutionContext` carries no manager: write `factory.create_manager(&ctx).await?`",
        "the context only names the user and thread",
        "emit through the manager's bridge: `let bridge = manager.bridge();` then `let run = emit!(bridge, agent_started {{ agent_name: .. }});`";
    ContextWebsocketBridge:
        "`UserExecutionContext` carries no bridge: write `factory.create_manager(&ctx).await?.bridge()`",
        "the context only names the user and thread",
        "then `let run = emit!(bridge, agent_started {{ agent_name: .. }});`";
    SendEvent:
        "`send_event(\"..\", data)` was removed: events are typed: write the event's `emit!` form, e.g. `emit!(run, tool_executing {{ tool_name: .., parameters: .. }})`",
        "event names are not strings",
        "the five events: `let run = emit!(bridge, agent_started {{ agent_name: .. }})`, `emit!(run, agent_thinking {{ reasoning: .. }})`, `let call = emit!(run, tool_executing {{ tool_name: .. }})`, `emit!(call, tool_completed {{ result: .. }})`, `emit!(run, agent_completed {{ result: .. }})`";
    EmitAgentEvent:
        "`emit_agent_event(\"..\", data)` was removed: event names are checked at compile time: write the event's `emit!` form, e.g. `emit!(run, tool_executing {{ tool_name: .., parameters: .. }})`",
        "event names are not strings",
        "the five events: `let run = emit!(bridge, agent_started {{ agent_name: .. }})`, `emit!(run, agent_thinking {{ reasoning: .. }})`, `let call = emit!(run, tool_executing {{ tool_name: .. }})`, `emit!(call, tool_completed {{ result: .. }})`, `emit!(run, agent_completed {{ result: .. }})`";
    EmitWebsocketEvent:
        "`_emit_websocket_event(..)` was removed: write the event's `emit!` form, e.g. `emit!(run, agent_thinking {{ reasoning: .. }})`",
        "events are emitted with `emit!`",
        "the five events: `let run = emit!(bridge, agent_started {{ agent_name: .. }})`, `emit!(run, agent_thinking {{ reasoning: .. }})`, `let call = emit!(run, tool_executing {{ tool_name: .. }})`, `emit!(call, tool_completed {{ result: .. }})`, `emit!(run, agent_completed {{ result: .. }})`";
    NotifyAgentStarted:
        "`notify_agent_started(..)` was removed: write `let run = emit!(bridge, agent_started {{ agent_name: .. }});`",
        "events are emitted with `emit!`",
        "the bridge comes from `manager.bridge()`; the run carries `run_id` and `agent_name` into every later event";
    SendAgentStarted:
        "`send_agent_started(..)` was removed: write `let run = emit!(bridge, agent_started {{ agent_name: .. }});`",
        "events are emitted with `emit!`",
        "the bridge comes from `manager.bridge()`; the run carries `run_id` and `agent_name` into every later event";
    NotifyAgentThinking:
        "`notify_agent_thinking(..)` was removed: write `emit!(run, agent_thinking {{ reasoning: .. }});`",
        "events are emitted with `emit!`",
        "the run comes from `emit!(bridge, agent_started {{ .. }})`, or is the `run: &Run` of an #[agent] handler";
    SendAgentThinking:
        "`send_agent_thinking(..)` was removed: write `emit!(run, agent_thinking {{ reasoning: .. }});`",
        "events are emitted with `emit!`",
        "the run comes from `emit!(bridge, agent_started {{ .. }})`, or is the `run: &Run` of an #[agent] handler";
    NotifyToolExecuting:
        "`notify_tool_executing(..)` was removed: write `let call = emit!(run, tool_executing {{ tool_name: .., parameters: .. }});`",
        "events are emitted with `emit!`",
        "the run supplies `run_id` and `agent_name`; close the call with `emit!(call, tool_completed {{ result: .. }});`";
    SendToolExecuting:
        "`send_tool_executing(..)` was removed: write `let call = emit!(run, tool_executing {{ tool_name: .., parameters: .. }});`",
        "events are emitted with `emit!`",
        "the run supplies `run_id` and `agent_name`; close the call with `emit!(call, tool_completed {{ result: .. }});`";
    NotifyToolCompleted:
        "`notify_tool_completed(..)` was removed: write `emit!(call, tool_completed {{ result: .. }});`",
        "events are emitted with `emit!`",
        "`call` is the `ToolCall` returned by `emit!(run, tool_executing {{ .. }})`; a failed call is `tool_completed {{ error: .. }}`";
    SendToolCompleted:
        "`send_tool_completed(..)` was removed: write `emit!(call, tool_completed {{ result: .. }});`",
        "events are emitted with `emit!`",
        "`call` is the `ToolCall` returned by `emit!(run, tool_executing {{ .. }})`; a failed call is `tool_completed {{ error: .. }}`";
    NotifyAgentCompleted:
        "`notify_agent_completed(..)` was removed: write `emit!(run, agent_completed {{ result: .. }});`",
        "events are emitted with `emit!`",
        "it consumes the `Run` returned by `emit!(bridge, agent_started {{ .. }})`; in an #[agent] handler, return `Ok(result)` instead";
    SendAgentCompleted:
        "`send_agent_completed(..)` was removed: write `emit!(run, agent_completed {{ result: .. }});`",
        "events are emitted with `emit!`",
        "it consumes the `Run` returned by `emit!(bridge, agent_started {{ .. }})`; in an #[agent] handler, return `Ok(result)` instead";
    GetAgentWebsocketBridge:
        "`get_agent_websocket_bridge()` was removed: there is no global bridge: write `factory.create_manager(&ctx).await?.bridge()`",
        "a bridge belongs to one user",
        "a bridge emits to its context's user and thread only, so it cannot be shared";
    CreateAgentWebsocketBridge:
        "`create_agent_websocket_bridge(..)` was removed: write `manager.bridge()`",
        "bridges come from a manager",
        "the manager comes from `factory.create_manager(&ctx).await?`, which binds the bridge to ctx's user and thread";
    BridgeFactory:
        "`WebSocketBridgeFactory` was removed: emit through a bridge: write `factory.create_manager(&ctx).await?.bridge()`",
        "there are no emitters",
        "then `let run = emit!(bridge, agent_started {{ agent_name: .. }});` replaces the emitter's `notify_*` calls";
    SendToThread:
        "`send_to_thread(..)` was removed: events are not routed by id: emit on a run of a bridge bound to the thread, `factory.create_manager(&ctx).await?.bridge()`",
        "there is no routing by thread id",
        "`ctx = UserExecutionContext::new(user, thread)` names the thread; then `let run = emit!(bridge, agent_started {{ agent_name: .. }});`";
    SendToUser:
        "`send_to_user(..)` was removed: a bridge emits to its own user only: write `factory.create_manager(&ctx).await?.bridge()` with that user's `ctx`",
        "there is no routing by user id",
        "nothing can address another user's connections; `ctx = UserExecutionContext::new(user, thread)` names the user";
}

// Free functions of earlier designs. Each takes any arguments and returns
// whatever the caller expects, so that the bound is the only error.

#[doc(hidden)]
pub fn get_websocket_manager_factory<T>() -> T
where
    for<'a> Removed: GetWebsocketManagerFactory,
{
    unreachable!()
}

#[doc(hidden)]
pub fn get_websocket_manager<C, T>(_: C) -> T
where
    for<'a> Removed: GetWebsocketManager,
{
    unreachable!()
}

#[doc(hidden)]
pub fn get_websocket_manager_async<C, T>(_: C) -> T
where
    for<'a> Removed: GetWebsocketManagerAsync,
{
    unreachable!()
}

#[doc(hidden)]
pub fn create_websocket_manager<C, T>(_: C) -> T
where
    for<'a> Removed: CreateWebsocketManager,
{
    unreachable!()
}

#[doc(hidden)]
pub fn create_websocket_manager_sync<C, T>(_: C) -> T
where
    for<'a> Removed: CreateWebsocketManagerSync,
{
    unreachable!()
}

#[doc(hidden)]
pub fn get_agent_websocket_bridge<T>() -> T
where
    for<'a> Removed: GetAgentWebsocketBridge,
{
    unreachable!()
}

#[doc(hidden)]
pub fn create_agent_websocket_bridge<M, T>(_: M) -> T
where
    for<'a> Removed: CreateAgentWebsocketBridge,
{
    unreachable!()
}

#[doc(hidden)]
pub fn _emit_websocket_event<E, D, T>(_: E, _: D) -> T
where
    for<'a> Removed: EmitWebsocketEvent,
{
    unreachable!()
}

#[doc(hidden)]
pub fn send_to_thread<I, M, T>(_: I, _: M) -> T
where
    for<'a> Removed: SendToThread,
{
    unreachable!()
}

#[doc(hidden)]
pub fn send_to_user<I, M, T>(_: I, _: M) -> T
where
    for<'a> Removed: SendToUser,
{
    unreachable!()
}

impl WebSocketManagerFactory {
    #[doc(hidden)]
    pub fn new<T>() -> T
    where
        for<'a> Removed: FactoryConstructor,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn default<T>() -> T
    where
        for<'a> Removed: FactoryConstructor,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn get_manager<C, T>(&self, _: C) -> T
    where
        for<'a> Removed: FactoryGetManager,
    {
        unreachable!()
    }
}

impl UserWebSocketManager {
    #[doc(hidden)]
    pub fn new<C, T>(_: C) -> T
    where
        for<'a> Removed: ManagerConstructor,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn default<T>() -> T
    where
        for<'a> Removed: ManagerConstructor,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_event<E, D, T>(&self, _: E, _: D) -> T
    where
        for<'a> Removed: SendEvent,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn emit_agent_event<E, D, T>(&self, _: E, _: D) -> T
    where
        for<'a> Removed: EmitAgentEvent,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_tool_executing<R, A, N, P, T>(&self, _: R, _: A, _: N, _: P) -> T
    where
        for<'a> Removed: SendToolExecuting,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_to_thread<I, M, T>(&self, _: I, _: M) -> T
    where
        for<'a> Removed: SendToThread,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_to_user<I, M, T>(&self, _: I, _: M) -> T
    where
        for<'a> Removed: SendToUser,
    {
        unreachable!()
    }
}

impl AgentBridge {
    #[doc(hidden)]
    pub fn new<M, T>(_: M) -> T
    where
        for<'a> Removed: BridgeConstructor,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn default<T>() -> T
    where
        for<'a> Removed: BridgeConstructor,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_event<E, D, T>(&self, _: E, _: D) -> T
    where
        for<'a> Removed: SendEvent,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn emit_agent_event<E, D, T>(&self, _: E, _: D) -> T
    where
        for<'a> Removed: EmitAgentEvent,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_agent_started<R, A, T>(&self, _: R, _: A) -> T
    where
        for<'a> Removed: NotifyAgentStarted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_agent_started<R, A, T>(&self, _: R, _: A) -> T
    where
        for<'a> Removed: SendAgentStarted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_agent_thinking<R, A, M, T>(&self, _: R, _: A, _: M) -> T
    where
        for<'a> Removed: NotifyAgentThinking,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_agent_thinking<R, A, M, T>(&self, _: R, _: A, _: M) -> T
    where
        for<'a> Removed: SendAgentThinking,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_tool_executing<R, A, N, P, T>(&self, _: R, _: A, _: N, _: P) -> T
    where
        for<'a> Removed: NotifyToolExecuting,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_tool_executing<R, A, N, P, T>(&self, _: R, _: A, _: N, _: P) -> T
    where
        for<'a> Removed: SendToolExecuting,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_tool_completed<R, A, N, V, T>(&self, _: R, _: A, _: N, _: V) -> T
    where
        for<'a> Removed: NotifyToolCompleted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_tool_completed<R, A, N, V, T>(&self, _: R, _: A, _: N, _: V) -> T
    where
        for<'a> Removed: SendToolCompleted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_agent_completed<R, A, V, T>(&self, _: R, _: A, _: V) -> T
    where
        for<'a> Removed: NotifyAgentCompleted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_agent_completed<R, A, V, T>(&self, _: R, _: A, _: V) -> T
    where
        for<'a> Removed: SendAgentCompleted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_to_thread<I, M, T>(&self, _: I, _: M) -> T
    where
        for<'a> Removed: SendToThread,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_to_user<I, M, T>(&self, _: I, _: M) -> T
    where
        for<'a> Removed: SendToUser,
    {
        unreachable!()
    }
}

impl Run {
    #[doc(hidden)]
    pub fn new<B, T>(_: B) -> T
    where
        for<'a> Removed: RunConstructor,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn default<T>() -> T
    where
        for<'a> Removed: RunConstructor,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_event<E, D, T>(&self, _: E, _: D) -> T
    where
        for<'a> Removed: SendEvent,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn emit_agent_event<E, D, T>(&self, _: E, _: D) -> T
    where
        for<'a> Removed: EmitAgentEvent,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_agent_started<R, A, T>(&self, _: R, _: A) -> T
    where
        for<'a> Removed: NotifyAgentStarted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_agent_started<R, A, T>(&self, _: R, _: A) -> T
    where
        for<'a> Removed: SendAgentStarted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_agent_thinking<R, A, M, T>(&self, _: R, _: A, _: M) -> T
    where
        for<'a> Removed: NotifyAgentThinking,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_agent_thinking<R, A, M, T>(&self, _: R, _: A, _: M) -> T
    where
        for<'a> Removed: SendAgentThinking,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_tool_executing<R, A, N, P, T>(&self, _: R, _: A, _: N, _: P) -> T
    where
        for<'a> Removed: NotifyToolExecuting,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_tool_executing<R, A, N, P, T>(&self, _: R, _: A, _: N, _: P) -> T
    where
        for<'a> Removed: SendToolExecuting,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_tool_completed<R, A, N, V, T>(&self, _: R, _: A, _: N, _: V) -> T
    where
        for<'a> Removed: NotifyToolCompleted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_tool_completed<R, A, N, V, T>(&self, _: R, _: A, _: N, _: V) -> T
    where
        for<'a> Removed: SendToolCompleted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn notify_agent_completed<R, A, V, T>(&self, _: R, _: A, _: V) -> T
    where
        for<'a> Removed: NotifyAgentCompleted,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_agent_completed<R, A, V, T>(&self, _: R, _: A, _: V) -> T
    where
        for<'a> Removed: SendAgentCompleted,
    {
        unreachable!()
    }
}

impl ToolCall<'_> {
    #[doc(hidden)]
    pub fn new<R, T>(_: R) -> T
    where
        for<'a> Removed: ToolCallConstructor,
    {
        unreachable!()
    }
}

impl UserExecutionContext {
    #[doc(hidden)]
    pub fn websocket_manager<T>(&self) -> T
    where
        for<'a> Removed: ContextWebsocketManager,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn websocket_bridge<T>(&self) -> T
    where
        for<'a> Removed: ContextWebsocketBridge,
    {
        unreachable!()
    }
}

impl Hub {
    #[doc(hidden)]
    pub fn send_to_thread<I, M, T>(&self, _: I, _: M) -> T
    where
        for<'a> Removed: SendToThread,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn send_to_user<I, M, T>(&self, _: I, _: M) -> T
    where
        for<'a> Removed: SendToUser,
    {
        unreachable!()
    }
}

/// The shared manager of earlier designs. It has no values.
#[doc(hidden)]
pub enum UnifiedWebSocketManager {}

impl UnifiedWebSocketManager {
    #[doc(hidden)]
    pub fn new<T>() -> T
    where
        for<'a> Removed: UnifiedManager,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn create_for_user<C, T>(_: C) -> T
    where
        for<'a> Removed: UnifiedManager,
    {
        unreachable!()
    }
}

/// The emitter factory of earlier designs. It has no values.
#[doc(hidden)]
pub enum WebSocketBridgeFactory {}

impl WebSocketBridgeFactory {
    #[doc(hidden)]
    pub fn new<T>() -> T
    where
        for<'a> Removed: BridgeFactory,
    {
        unreachable!()
    }

    #[doc(hidden)]
    pub fn create_user_emitter<C, T>(_: C) -> T
    where
        for<'a> Removed: BridgeFactory,
    {
        unreachable!()
    }
}
