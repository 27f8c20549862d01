use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::hub::HubInner;
use crate::log::UserLog;
use crate::{AgentBridge, Error, Subscription, UserExecutionContext};

/// The one way to get a [`UserWebSocketManager`]: `hub.factory()`, then
/// `factory.create_manager(&ctx).await`.
///
/// ```
/// use agentwire::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), agentwire::Error> {
/// let hub = Hub::builder().build()?;
/// let factory = hub.factory();
/// let ctx = UserExecutionContext::new(UserId::new("alice")?, ThreadId::new("thread-1")?);
/// let manager = factory.create_manager(&ctx).await?;
/// assert_eq!(manager.bridge().user_id().as_str(), "alice");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebSocketManagerFactory {
    pub(crate) hub: Arc<HubInner>,
}

impl WebSocketManagerFactory {
    /// The manager of `ctx`'s user, bound to `ctx`'s thread. Managers of the
    /// same user share that user's log (one `seq`, the same connections);
    /// managers of different users share nothing.
    ///
    /// The in-process hub always succeeds; the `Result` leaves room for
    /// log backends that live on another node.
    pub async fn create_manager(
        &self,
        ctx: &UserExecutionContext,
    ) -> Result<UserWebSocketManager, Error> {
        let log = self.hub.user_log(ctx.user_id());
        Ok(UserWebSocketManager {
            ctx: ctx.clone(),
            log,
            hub: self.hub.clone(),
        })
    }
}

impl fmt::Debug for WebSocketManagerFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketManagerFactory")
            .finish_non_exhaustive()
    }
}

/// One user's view of the hub, for one execution context. Hands out the
/// [`AgentBridge`] agents emit through, and in-process subscriptions to the
/// user's events.
///
/// ```
/// use agentwire::prelude::*;
///
/// # async fn demo(factory: &WebSocketManagerFactory, ctx: &UserExecutionContext) -> Result<(), agentwire::Error> {
/// let manager = factory.create_manager(ctx).await?;
/// let bridge = manager.bridge();
/// assert_eq!(bridge.thread_id(), ctx.thread_id());
/// # Ok(()) }
/// ```
pub struct UserWebSocketManager {
    ctx: UserExecutionContext,
    log: Arc<UserLog>,
    hub: Arc<HubInner>,
}

impl UserWebSocketManager {
    /// A bridge bound to this manager's user and thread.
    pub fn bridge(&self) -> AgentBridge {
        AgentBridge {
            log: self.log.clone(),
            thread: self.ctx.thread_id().clone(),
        }
    }

    /// The context this manager was created for.
    pub fn context(&self) -> &UserExecutionContext {
        &self.ctx
    }

    /// The user's events from now on, in `seq` order.
    pub fn subscribe(&self) -> Subscription {
        Subscription::new(self.log.attach(None, self.hub.config.subscriber))
    }

    /// The user's events with `seq > after`: first those still in the
    /// replay buffer ([`Subscription::missed`] counts the rest), then live.
    pub fn subscribe_after(&self, after: u64) -> Subscription {
        Subscription::new(
            self.log
                .attach(Some(after), self.hub.config.subscriber),
        )
    }

    /// The `seq` of the user's latest event (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.log.last_seq()
    }

    /// How many WebSocket connections (tabs) the user has open.
    pub fn connection_count(&self) -> usize {
        self.log.connections.load(Ordering::Acquire)
    }
}

impl fmt::Debug for UserWebSocketManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserWebSocketManager")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}
