//! Runs started by a client's `user_message`.

use std::sync::Arc;

use super::protocol::{ClientError, ErrorCode};
use super::tasks::stopped;
use super::Shared;
use crate::{ThreadId, UserExecutionContext, UserId, UserMessage};

/// The thread of a message that names none.
const DEFAULT_THREAD: &str = "default";

/// Starts a run of the requested agent for this user, tracked for shutdown.
/// The run belongs to the user, not to the connection: it goes on if the
/// tab that started it closes, and the user's other tabs see it end.
pub(crate) async fn start(
    shared: &Arc<Shared>,
    user: &UserId,
    message: UserMessage,
) -> Result<(), ClientError> {
    let hub = &shared.hub.inner;
    let agent = match hub.agent(message.agent.as_deref()) {
        Some(agent) => agent.clone(),
        None if hub.agents.is_empty() => {
            return Err(ClientError::new(
                ErrorCode::NoAgent,
                "this server has no agents",
            ))
        }
        None => {
            let names: Vec<&str> = hub.agents.iter().map(|a| a.name()).collect();
            return Err(ClientError::new(
                ErrorCode::UnknownAgent,
                format!("no agent named that; agents: {}", names.join(", ")),
            ));
        }
    };
    let mut stop = shared.stop_runs.subscribe();
    if *stop.borrow() {
        return Err(ClientError::new(
            ErrorCode::ShuttingDown,
            "the server is shutting down",
        ));
    }
    let thread = match &message.thread_id {
        Some(thread) => thread.clone(),
        None => ThreadId::new(DEFAULT_THREAD)
            .map_err(|e| ClientError::new(ErrorCode::Internal, e.to_string()))?,
    };
    let ctx = UserExecutionContext::new(user.clone(), thread);
    let manager = shared
        .hub
        .factory()
        .create_manager(&ctx)
        .await
        .map_err(|e| ClientError::new(ErrorCode::Internal, e.to_string()))?;
    let bridge = manager.bridge();
    let guard = shared.runs.enter();
    tokio::spawn(async move {
        let _guard = guard;
        tokio::select! {
            _ = agent.handle(bridge, message) => {}
            // Dropping the handler's future cancels the run, which then
            // emits its own terminal events.
            _ = stopped(&mut stop) => {}
        }
    });
    Ok(())
}
