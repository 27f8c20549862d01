//! Runs started by a client's `user_message`.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::protocol::{ClientError, ErrorCode};
use super::Shared;
use crate::control::Cancel;
use crate::{RunId, RunOutcome, UserExecutionContext, UserId, UserMessage};

/// The thread of a message that names none.
pub(crate) const DEFAULT_THREAD: &str = "default";

/// Starts a run of the requested agent for this user, tracked for shutdown
/// and counted under the user's run cap until it ends (however it ends).
/// The run belongs to the user, not to the connection: it goes on if the
/// tab that started it closes, and the user's other tabs see it end.
pub(crate) async fn start(
    shared: &Arc<Shared>,
    user: &UserId,
    message: UserMessage,
) -> Result<(), ClientError> {
    spawn(shared, user, message, None).await
}

/// What the starter of a run can learn about it as it goes.
pub(crate) struct Watch {
    /// The user's latest `seq` once the run has been polled for the first
    /// time, by when `#[agent]` has emitted its `agent_started`.
    #[cfg_attr(not(feature = "ag-ui"), allow(dead_code))]
    pub(crate) first_poll: oneshot::Receiver<u64>,
    /// How the run ended; never sent when it was cancelled.
    #[cfg_attr(not(feature = "ag-ui"), allow(dead_code))]
    pub(crate) outcome: oneshot::Receiver<RunOutcome>,
}

/// [`start`], telling the caller when the run first ran and how it ended.
#[cfg_attr(not(feature = "ag-ui"), allow(dead_code))]
pub(crate) async fn start_watched(
    shared: &Arc<Shared>,
    user: &UserId,
    message: UserMessage,
) -> Result<Watch, ClientError> {
    let (first_tx, first_poll) = oneshot::channel();
    let (outcome_tx, outcome) = oneshot::channel();
    spawn(shared, user, message, Some((first_tx, outcome_tx))).await?;
    Ok(Watch {
        first_poll,
        outcome,
    })
}

/// Where a watched run reports its first poll and its outcome.
type Watcher = (oneshot::Sender<u64>, oneshot::Sender<RunOutcome>);

async fn spawn(
    shared: &Arc<Shared>,
    user: &UserId,
    message: UserMessage,
    watcher: Option<Watcher>,
) -> Result<(), ClientError> {
    let hub = &shared.hub.inner;
    let agent = match hub.agent(message.agent.as_deref()) {
        Some(agent) => agent,
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
    if shared.runs.is_stopping() {
        crate::metrics::run_refused("shutting_down");
        return Err(ClientError::new(
            ErrorCode::ShuttingDown,
            "the server is shutting down",
        ));
    }
    let thread = match &message.thread_id {
        Some(thread) => thread.clone(),
        None => shared.default_thread.clone(),
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
    let too_many = || {
        crate::metrics::run_refused("run_cap");
        ClientError::new(
            ErrorCode::TooManyRuns,
            format!("you already have {cap} runs going; wait for one to end, or cancel one with `cancel_run`"),
        )
    };
    let Some(slot) = bridge.log.runs.reserve(cap) else {
        return Err(too_many());
    };
    // With Redis, the cap counts the user's runs on every node. When Redis
    // cannot be asked, this node's count alone holds the cap.
    #[cfg(feature = "redis")]
    let slot = match bridge.log.remote() {
        None => (slot, None),
        Some(remote) => match remote.claim(cap).await {
            Ok(Some(shared)) => (slot, Some(shared)),
            Ok(None) => return Err(too_many()),
            Err(()) => (slot, None),
        },
    };
    let log = bridge.log.clone();
    let guard = shared.runs.enter();
    let mut handle = agent.handle(bridge, message);
    tokio::spawn(async move {
        let _slot = slot;
        let (mut first, outcome_tx) = watcher.unzip();
        let watched = std::future::poll_fn(move |cx| {
            let poll = handle.as_mut().poll(cx);
            if let Some(tx) = first.take() {
                let _ = tx.send(log.last_seq());
            }
            poll
        });
        tokio::select! {
            // The run first: a run that ends in its first poll never
            // joins the stop signal.
            biased;
            outcome = watched => {
                if let Some(tx) = outcome_tx {
                    let _ = tx.send(outcome);
                }
            }
            // Dropping the handler's future cancels the run, which then
            // emits its own terminal events.
            _ = guard.stopped() => {}
        }
    });
    Ok(())
}

/// Cancels the user's run `id`, whichever of the user's tabs started it:
/// it ends at once with its terminal events, which every tab of the user
/// sees. Another user's run is as unknown as a run that never was. With
/// Redis, a run this node does not host is looked up among the user's
/// runs on every node, and the cancel forwarded to the node hosting it.
pub(crate) async fn cancel(shared: &Shared, user: &UserId, id: &RunId) -> Result<(), ClientError> {
    let unknown = || {
        ClientError::new(
            ErrorCode::UnknownRun,
            "you have no run going with this `run_id`: it has ended, or never existed",
        )
    };
    let log = shared.hub.inner.user_log(user);
    if let Some(run) = log.runs.find(id.as_str()) {
        return match run.cancel(Cancel::Client) {
            true => Ok(()),
            false => Err(unknown()),
        };
    }
    #[cfg(feature = "redis")]
    if let Some(remote) = log.remote() {
        use crate::log::remote::Forwarded;
        return match remote.forward_cancel(id.as_str()).await {
            Forwarded::Delivered => Ok(()),
            Forwarded::Unknown => Err(unknown()),
            Forwarded::NodeUnreachable => Err(ClientError::new(
                ErrorCode::Internal,
                "the cancel could not be delivered: the node running this run is not reachable; try again",
            )),
            Forwarded::RedisUnreachable => Err(ClientError::new(
                ErrorCode::Internal,
                "the cancel could not be delivered: the server cannot reach its other nodes; try again",
            )),
        };
    }
    Err(unknown())
}
