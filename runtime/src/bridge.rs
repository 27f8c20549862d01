use std::fmt;
use std::sync::Arc;

use crate::log::UserLog;
use crate::{ThreadId, UserId};

/// The capability to start runs for one user's thread.
///
/// A bridge comes only from [`UserWebSocketManager::bridge`](crate::UserWebSocketManager::bridge),
/// and every event emitted through it, or through the runs it starts, goes
/// to its user and nobody else. It has no public constructor.
///
/// ```
/// use agentwire::prelude::*;
///
/// # async fn demo(factory: &WebSocketManagerFactory, ctx: &UserExecutionContext) -> Result<(), agentwire::Error> {
/// let bridge = factory.create_manager(ctx).await?.bridge();
/// let run = emit!(bridge, agent_started { agent_name: "researcher" });
/// emit!(run, agent_completed {});
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AgentBridge {
    pub(crate) log: Arc<UserLog>,
    pub(crate) thread: ThreadId,
}

impl AgentBridge {
    /// The user every event of this bridge goes to.
    pub fn user_id(&self) -> &UserId {
        self.log.user()
    }

    /// The thread this bridge's runs belong to.
    pub fn thread_id(&self) -> &ThreadId {
        &self.thread
    }
}

impl fmt::Debug for AgentBridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentBridge")
            .field("user", self.user_id())
            .field("thread", &self.thread)
            .finish()
    }
}
