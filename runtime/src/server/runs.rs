//! Runs started by a client's `user_message`.

use std::sync::Arc;

use super::protocol::{ClientError, ErrorCode};
use super::tasks::stopped;
use super::Shared;
use crate::control::Cancel;
use crate::{RunId, ThreadId, UserExecutionContext, UserId, UserMessage};

/// The thread of a message that names none.
const DEFAULT_THREAD: &str = "default";

/// Starts a run of the requested agent for this user, tracked for shutdown
/// and counted under the user's run cap until it ends (however it ends).
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
            crate::metrics::run_refused("no_agent");
            return Err(ClientError::new(
                ErrorCode::NoAgent,
                "this server has no agents",
            ));
        }
        None => {
            crate::metrics::run_refused("unknown_agent");
            let names: Vec<&str> = hub.agents.iter().map(|a| a.name()).collect();
            return Err(ClientError::new(
                ErrorCode::UnknownAgent,
                format!("no agent named that; agents: {}", names.join(", ")),
            ));
        }
    };
    let mut stop = shared.stop_runs.subscribe();
    if *stop.borrow() {
        crate::metrics::run_refused("shutting_down");
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
    let cap = shared.config.max_runs_per_user;
    let Some(slot) = bridge.log.runs.reserve(cap) else {
        crate::metrics::run_refused("run_cap");
        return Err(ClientError::new(
            ErrorCode::TooManyRuns,
            format!("you already have {cap} runs going; wait for one to end, or cancel one with `cancel_run`"),
        ));
    };
    let guard = shared.runs.enter();
    tokio::spawn(async move {
        let _guard = guard;
        let _slot = slot;
        tokio::select! {
            _ = agent.handle(bridge, message) => {}
            // Dropping the handler's future cancels the run, which then
            // emits its own terminal events.
            _ = stopped(&mut stop) => {}
        }
    });
    Ok(())
}

/// Cancels the user's run `id`, whichever of the user's tabs started it:
/// it ends at once with its terminal events, which every tab of the user
/// sees. Another user's run is as unknown as a run that never was.
pub(crate) fn cancel(shared: &Shared, user: &UserId, id: &RunId) -> Result<(), ClientError> {
    let log = shared.hub.inner.user_log(user);
    match log.runs.find(id.as_str()) {
        Some(run) if run.cancel(Cancel::Client) => Ok(()),
        _ => Err(ClientError::new(
            ErrorCode::UnknownRun,
            "you have no run going with this `run_id`: it has ended, or never existed",
        )),
    }
}
