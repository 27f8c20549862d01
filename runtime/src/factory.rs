use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::hub::HubInner;
use crate::log::{Resume, UserLog};
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

    /// The user's events with `seq > after`, all or nothing: if every one
    /// of them is still in the replay buffer they come first, then the live
    /// events ([`Subscription::recovered`] is true); otherwise none of them
    /// comes, only the live events, and [`Subscription::missed`] says how
    /// many were lost. A partial replay would leave a gap the caller cannot
    /// see.
    ///
    /// This cannot tell a log that was forgotten and started again from the
    /// one `after` was read from; compare [`epoch`](Self::epoch)s for that.
    ///
    /// ```
    /// # async fn demo(manager: agentwire::UserWebSocketManager) -> Result<(), agentwire::RecvError> {
    /// let mut events = manager.subscribe_after(41);
    /// if events.recovered() {
    ///     let next = events.recv().await?;
    ///     assert_eq!(next.seq(), 42);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn subscribe_after(&self, after: u64) -> Subscription {
        let resume = Resume {
            since: after,
            epoch: None,
        };
        Subscription::new(self.log.attach(Some(resume), self.hub.config.subscriber))
    }

    /// The `seq` of the user's latest event (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.log.last_seq()
    }

    /// The epoch of the user's event stream: an opaque string that changes
    /// whenever `seq` starts again from 1, because the server restarted or
    /// the user's log was forgotten after the idle retention.
    ///
    /// The resume protocol: a client keeps the epoch and the last `seq` it
    /// received, and reconnects with both. It gets every event after that
    /// `seq` if the epoch is the same and all of them are still buffered;
    /// otherwise it is told it did not recover, gets none of the missed
    /// events, and should reload the current state instead of patching.
    ///
    /// ```
    /// use agentwire::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), agentwire::Error> {
    /// let hub = Hub::builder().build()?;
    /// let ctx = UserExecutionContext::new(UserId::new("alice")?, ThreadId::new("t1")?);
    /// let manager = hub.factory().create_manager(&ctx).await?;
    /// let again = hub.factory().create_manager(&ctx).await?;
    /// assert_eq!(manager.epoch(), again.epoch(), "one user, one stream");
    ///
    /// let restarted = Hub::builder().build()?;
    /// let fresh = restarted.factory().create_manager(&ctx).await?;
    /// assert_ne!(manager.epoch(), fresh.epoch());
    /// # Ok(()) }
    /// ```
    ///
    /// With a Redis-backed hub this is the epoch this node last saw for
    /// the user's stream (a random one until the node has synced with
    /// Redis for a subscriber); `connection_established` always carries
    /// the stream's own.
    pub fn epoch(&self) -> Arc<str> {
        self.log.epoch()
    }

    /// Live subscriptions to the user's events: in-process
    /// [`Subscription`]s and WebSocket connections. A dropped subscription
    /// or closed connection stops counting at once.
    ///
    /// ```
    /// use agentwire::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), agentwire::Error> {
    /// let hub = Hub::builder().build()?;
    /// let ctx = UserExecutionContext::new(UserId::new("alice")?, ThreadId::new("t1")?);
    /// let manager = hub.factory().create_manager(&ctx).await?;
    /// let events = manager.subscribe();
    /// assert_eq!(manager.subscriber_count(), 1);
    /// drop(events);
    /// assert_eq!(manager.subscriber_count(), 0);
    /// # Ok(()) }
    /// ```
    pub fn subscriber_count(&self) -> usize {
        self.log.subscriber_count()
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
