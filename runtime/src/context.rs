use std::fmt;

use crate::legacy::{NoBridgeInContext, NoManagerInContext};
use crate::{RequestId, ThreadId, UserId};

/// Who an agent is working for: the user, the thread, and optionally the
/// request that started the work. Managers are created for a context, and
/// every event emitted through them is bound to its user and thread.
///
/// ```
/// use agentwire::{UserExecutionContext, UserId, ThreadId, RequestId};
///
/// let ctx = UserExecutionContext::new(UserId::new("alice")?, ThreadId::new("thread-1")?)
///     .with_request_id(RequestId::new("req-17")?);
/// assert_eq!(ctx.user_id().as_str(), "alice");
/// # Ok::<(), agentwire::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UserExecutionContext {
    user: UserId,
    thread: ThreadId,
    request: Option<RequestId>,
    /// The manager earlier designs kept here: zero-sized, and every method
    /// called on it is a compile error naming `factory.create_manager(&ctx)`.
    #[doc(hidden)]
    pub websocket_manager: NoManagerInContext,
    /// The bridge earlier designs kept here; see `websocket_manager`.
    #[doc(hidden)]
    pub websocket_bridge: NoBridgeInContext,
}

impl UserExecutionContext {
    /// A context for `user`'s `thread`. Both ids are validated when built,
    /// so a context is always valid.
    pub fn new(user: UserId, thread: ThreadId) -> Self {
        UserExecutionContext {
            user,
            thread,
            request: None,
            websocket_manager: NoManagerInContext(()),
            websocket_bridge: NoBridgeInContext(()),
        }
    }

    /// Attaches a request id, for correlating logs.
    pub fn with_request_id(mut self, request: RequestId) -> Self {
        self.request = Some(request);
        self
    }

    /// The user this context acts for.
    pub fn user_id(&self) -> &UserId {
        &self.user
    }

    /// The thread this context works in.
    pub fn thread_id(&self) -> &ThreadId {
        &self.thread
    }

    /// The request id, if one was attached.
    pub fn request_id(&self) -> Option<&RequestId> {
        self.request.as_ref()
    }
}

impl fmt::Debug for UserExecutionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserExecutionContext")
            .field("user", &self.user)
            .field("thread", &self.thread)
            .field("request", &self.request)
            .finish()
    }
}

/// A message a user sent to an agent (`user_message` on the wire).
///
/// ```
/// use agentwire::UserMessage;
/// let msg = UserMessage::new("find GPU prices");
/// assert_eq!(msg.content, "find GPU prices");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserMessage {
    /// What the user wrote.
    pub content: String,
    /// The thread the message belongs to, if the client named one.
    pub thread_id: Option<ThreadId>,
    /// The agent the client asked for, if any; the hub's default otherwise.
    pub agent: Option<String>,
}

impl UserMessage {
    /// A message with `content`, for the default agent and thread.
    pub fn new(content: impl Into<String>) -> Self {
        UserMessage {
            content: content.into(),
            thread_id: None,
            agent: None,
        }
    }

    /// Names the thread the message belongs to.
    pub fn in_thread(mut self, thread: ThreadId) -> Self {
        self.thread_id = Some(thread);
        self
    }

    /// Names the agent that should answer.
    pub fn for_agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = Some(agent.into());
        self
    }
}
