//! Tombstones of the call shapes of earlier designs: each fails to compile
//! with a message that names the replacement. `shapes!` declares one
//! diagnostic trait per message; `tombstones!` stamps out the functions,
//! one table row each.
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

use crate::{
    AgentBridge, Hub, Run, ToolCall, UserExecutionContext, UserWebSocketManager,
    WebSocketManagerFactory,
};

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
    ContextManagerField:
        "`ctx.websocket_manager` was removed: `UserExecutionContext` carries no manager: write `factory.create_manager(&ctx).await?`",
        "the context only names the user and thread",
        "emit through the manager's bridge: `let bridge = manager.bridge();` then the event's `emit!` form, e.g. `let run = emit!(bridge, agent_started {{ agent_name: .. }});`";
    ContextBridgeField:
        "`ctx.websocket_bridge` was removed: `UserExecutionContext` carries no bridge: write `factory.create_manager(&ctx).await?.bridge()`",
        "the context only names the user and thread",
        "then the event's `emit!` form, e.g. `let run = emit!(bridge, agent_started {{ agent_name: .. }});`";
    BridgeEventAsValue:
        "on an `AgentBridge`, `emit!` starts a run: write `let run = emit!(bridge, agent_started {{ agent_name: .. }});`",
        "an `AgentBridge` takes `agent_started {{ agent_name: .., message: .. }}`",
        "the event is written by name with its fields, so both are checked at compile time; `message` may be left out";
    RunEventAsValue:
        "on a `Run`, `emit!` takes `emit!(run, agent_thinking {{ reasoning: .. }})`, `let call = emit!(run, tool_executing {{ tool_name: .., parameters: .. }})` or `emit!(run, agent_completed {{ result: .. }})`",
        "a `Run` takes `agent_thinking`, `tool_executing`, `agent_completed` or a custom event",
        "the event is written by name with its fields, so both are checked at compile time; a custom event declared with `#[agent_event]` too: `emit!(run, progress_update {{ percent: .. }})`";
    ToolCallEventAsValue:
        "on a `ToolCall`, `emit!` closes the call: write `emit!(call, tool_completed {{ result: .. }});`",
        "a `ToolCall` takes `tool_completed {{ result: .., error: .. }}`",
        "the event is written by name with its fields, so both are checked at compile time; a failed call is `tool_completed {{ error: .. }}`";
    NotAnEmitTarget:
        "`emit!` emits on a bridge, a run or a tool call, and this is none of them; the event is written by name with its fields",
        "expected an `AgentBridge`, a `Run` or a `ToolCall`",
        "`let run = emit!(bridge, agent_started {{ agent_name: .. }})`, `emit!(run, agent_thinking {{ reasoning: .. }})`, `let call = emit!(run, tool_executing {{ tool_name: .. }})`, `emit!(call, tool_completed {{ result: .. }})`, `emit!(run, agent_completed {{ result: .. }})`; the bridge comes from `factory.create_manager(&ctx).await?.bridge()`";
}

/// Stamps out tombstones from rows: `fn name(A, B) => Shape;` is a free
/// function, `impl [Type, ..] { fn name(&self, A) => Shape; }` methods
/// (the same rows on several types), and `impl [Type => Shape, ..] { fn
/// name(&self, A); }` rows whose shape depends on the type. Each takes any
/// arguments and returns whatever the caller expects, so that the bound is
/// the only error.
macro_rules! tombstones {
    () => {};
    (fn $name:ident $args:tt => $shape:ident; $($rest:tt)*) => {
        tombstones!(@fn $name $args $shape);
        tombstones!($($rest)*);
    };
    (impl [$($ty:ty => $shape:ident),+] $rows:tt $($rest:tt)*) => {
        $(impl $ty { tombstones!(@rows_of $shape $rows); })+
        tombstones!($($rest)*);
    };
    (impl [$($ty:ty),+] $rows:tt $($rest:tt)*) => {
        $(impl $ty { tombstones!(@rows $rows); })+
        tombstones!($($rest)*);
    };
    (@rows { $(fn $name:ident $args:tt => $shape:ident;)* }) => {
        $(tombstones!(@fn $name $args $shape);)*
    };
    (@rows_of $shape:ident { $(fn $name:ident $args:tt;)* }) => {
        $(tombstones!(@fn $name $args $shape);)*
    };
    (@fn $name:ident (&self $(, $arg:ident)*) $shape:ident) => {
        #[doc(hidden)]
        pub fn $name<$($arg,)* T>(&self $(, _: $arg)*) -> T
        where
            for<'a> Removed: $shape,
        {
            unreachable!()
        }
    };
    (@fn $name:ident ($($arg:ident),*) $shape:ident) => {
        #[doc(hidden)]
        pub fn $name<$($arg,)* T>($(_: $arg),*) -> T
        where
            for<'a> Removed: $shape,
        {
            unreachable!()
        }
    };
}

tombstones! {
    fn get_websocket_manager_factory() => GetWebsocketManagerFactory;
    fn get_websocket_manager(C) => GetWebsocketManager;
    fn get_websocket_manager_async(C) => GetWebsocketManagerAsync;
    fn create_websocket_manager(C) => CreateWebsocketManager;
    fn create_websocket_manager_sync(C) => CreateWebsocketManagerSync;
    fn get_agent_websocket_bridge() => GetAgentWebsocketBridge;
    fn create_agent_websocket_bridge(M) => CreateAgentWebsocketBridge;
    fn _emit_websocket_event(E, D) => EmitWebsocketEvent;
    fn send_to_thread(I, M) => SendToThread;
    fn send_to_user(I, M) => SendToUser;

    impl [WebSocketManagerFactory] {
        fn new() => FactoryConstructor;
        fn default() => FactoryConstructor;
        fn get_manager(&self, C) => FactoryGetManager;
    }
    impl [UserWebSocketManager] {
        fn new(C) => ManagerConstructor;
        fn default() => ManagerConstructor;
        fn send_tool_executing(&self, R, A, N, P) => SendToolExecuting;
    }
    impl [AgentBridge] {
        fn new(M) => BridgeConstructor;
        fn default() => BridgeConstructor;
    }
    impl [Run] {
        fn new(B) => RunConstructor;
        fn default() => RunConstructor;
    }
    impl [ToolCall<'_>] {
        fn new(R) => ToolCallConstructor;
    }
    impl [UserExecutionContext] {
        fn websocket_manager(&self) => ContextWebsocketManager;
        fn websocket_bridge(&self) => ContextWebsocketBridge;
    }
    impl [UserWebSocketManager, AgentBridge, Run] {
        fn send_event(&self, E, D) => SendEvent;
        fn emit_agent_event(&self, E, D) => EmitAgentEvent;
    }
    impl [UserWebSocketManager, AgentBridge, Hub] {
        fn send_to_thread(&self, I, M) => SendToThread;
        fn send_to_user(&self, I, M) => SendToUser;
    }
    // The emitter family, on the bridge and on the run.
    impl [AgentBridge, Run] {
        fn notify_agent_started(&self, R, A) => NotifyAgentStarted;
        fn send_agent_started(&self, R, A) => SendAgentStarted;
        fn notify_agent_thinking(&self, R, A, M) => NotifyAgentThinking;
        fn send_agent_thinking(&self, R, A, M) => SendAgentThinking;
        fn notify_tool_executing(&self, R, A, N, P) => NotifyToolExecuting;
        fn send_tool_executing(&self, R, A, N, P) => SendToolExecuting;
        fn notify_tool_completed(&self, R, A, N, V) => NotifyToolCompleted;
        fn send_tool_completed(&self, R, A, N, V) => SendToolCompleted;
        fn notify_agent_completed(&self, R, A, V) => NotifyAgentCompleted;
        fn send_agent_completed(&self, R, A, V) => SendAgentCompleted;
    }
    // `ctx.websocket_manager.send_event(..)`: the context's removed
    // attributes, written as fields (see `NoManagerInContext`).
    impl [NoManagerInContext => ContextManagerField, NoBridgeInContext => ContextBridgeField] {
        fn send_event(&self, E, D);
        fn emit_agent_event(&self, E, D);
        fn bridge(&self);
        fn send_to_thread(&self, I, M);
        fn send_to_user(&self, I, M);
        fn notify_agent_started(&self, R, A);
        fn send_agent_started(&self, R, A);
        fn notify_agent_thinking(&self, R, A, M);
        fn send_agent_thinking(&self, R, A, M);
        fn notify_tool_executing(&self, R, A, N, P);
        fn send_tool_executing(&self, R, A, N, P);
        fn notify_tool_completed(&self, R, A, N, V);
        fn send_tool_completed(&self, R, A, N, V);
        fn notify_agent_completed(&self, R, A, V);
        fn send_agent_completed(&self, R, A, V);
    }
    // `emit!(target, "agent_started", data)` and every other event given as
    // a value: `emit!` asks the target, and the message names its events.
    impl [AgentBridge => BridgeEventAsValue, Run => RunEventAsValue, ToolCall<'_> => ToolCallEventAsValue] {
        fn __agentwire_events_of_target(&self, E);
    }
    impl [UnifiedWebSocketManager] {
        fn new() => UnifiedManager;
        fn create_for_user(C) => UnifiedManager;
    }
    impl [WebSocketBridgeFactory] {
        fn new() => BridgeFactory;
        fn create_user_emitter(C) => BridgeFactory;
    }
}

/// What `emit!` asks of a target it does not know, when the event was given
/// as a value; the bridge, the run and the tool call answer with inherent
/// methods of the same name, which take precedence.
#[doc(hidden)]
pub trait EmitTarget {
    #[doc(hidden)]
    fn __agentwire_events_of_target<E, T>(&self, _: E) -> T
    where
        for<'a> Removed: NotAnEmitTarget,
    {
        unreachable!()
    }
}

impl<X: ?Sized> EmitTarget for X {}

/// `ctx.websocket_manager` of earlier designs, kept as a zero-sized field
/// of [`UserExecutionContext`] so that every method called on it is a
/// tombstone naming the factory. It has no public constructor.
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoManagerInContext(pub(crate) ());

/// `ctx.websocket_bridge` of earlier designs; see [`NoManagerInContext`].
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoBridgeInContext(pub(crate) ());

/// The shared manager of earlier designs. It has no values.
#[doc(hidden)]
pub enum UnifiedWebSocketManager {}

/// The emitter factory of earlier designs. It has no values.
#[doc(hidden)]
pub enum WebSocketBridgeFactory {}

/// What the crate root and the prelude re-export: the callables of earlier
/// designs, so that code written against them gets the message naming the
/// replacement rather than "not found". The traits stay in this module.
pub mod callables {
    pub use super::{
        _emit_websocket_event, create_agent_websocket_bridge, create_websocket_manager,
        create_websocket_manager_sync, get_agent_websocket_bridge, get_websocket_manager,
        get_websocket_manager_async, get_websocket_manager_factory, send_to_thread, send_to_user,
        UnifiedWebSocketManager, WebSocketBridgeFactory,
    };
}
