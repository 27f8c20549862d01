//! One WebSocket connection after the handshake: the per-user cap, the
//! subscription to the user's log, then one task that reads the client's
//! messages and writes the user's events.

use std::future::{poll_fn, Future};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use super::handshake::Accepted;
use super::protocol::Hello;
use super::reader::{instant_of, RateLimit, Reader};
use super::tasks::stopped;
use super::writer::{self, Control, Out};
use super::{CloseCode, Shared};
use crate::log::{Attached, QueueLimit, Resume, UserLog};
use crate::{ConnectionId, UserId};

pub(crate) type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// How long to wait for the peer's close reply after sending ours.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Why a connection's reader or writer stopped.
#[derive(Debug)]
pub(crate) enum End {
    /// Say goodbye with this code.
    Close(CloseCode),
    /// The peer is gone, or stopped reading for longer than the write
    /// timeout: no close frame can reach it.
    Gone,
}

pub(crate) fn close_frame(code: CloseCode) -> CloseFrame {
    CloseFrame {
        code: WsCode::from(code.code()),
        reason: code.reason().into(),
    }
}

/// A connection of `user` holding its place under the per-user cap, which
/// WebSocket and SSE connections share.
pub(crate) fn take_slot(shared: &Shared, user: &UserId) -> Result<ConnectionSlot, ConnectionSlot> {
    let log = shared.hub.inner.user_log(user);
    let slot = ConnectionSlot::take(&log);
    if log.connections.load(Ordering::Acquire) > shared.config.max_connections_per_user {
        tracing::info!(
            target: "agentwire::server",
            user_id = %user,
            "connection over the per-user cap refused"
        );
        return Err(slot);
    }
    Ok(slot)
}

/// A connection subscribed to its user's log: what it replays, its queue,
/// and its `connection_established`.
pub(crate) struct Opened {
    pub(crate) connection: ConnectionId,
    pub(crate) attached: Attached,
    pub(crate) hello: String,
}

/// Subscribes a connection that holds `slot` to its user's log, resuming
/// where `accepted` asks: the one path of WebSocket and SSE connections.
/// Fails when the log's backend cannot be read (Redis unreachable).
pub(crate) async fn open(
    shared: &Shared,
    slot: &ConnectionSlot,
    accepted: &Accepted,
) -> Result<Opened, crate::Error> {
    let cfg = &shared.config;
    let resume = accepted.resume.as_ref().map(|r| Resume {
        since: r.since,
        epoch: r.epoch.as_deref(),
    });
    let limit = QueueLimit {
        events: cfg.queue_capacity,
        bytes: cfg.queue_bytes,
    };
    let attached = match slot.0.attach_synced(resume, limit).await {
        Ok(attached) => attached,
        Err(e) => {
            tracing::warn!(
                target: "agentwire::server",
                user_id = %accepted.user,
                error = %e,
                "the user's event stream could not be read; connection refused"
            );
            return Err(e);
        }
    };
    let connection = ConnectionId::fresh();
    let recovery = attached.recovery;
    if let Some(recovery) = recovery {
        crate::metrics::replay_requested(recovery.recovered);
    }
    tracing::debug!(
        target: "agentwire::server",
        user_id = %accepted.user,
        connection_id = %connection,
        recovered = recovery.map(|r| r.recovered),
        "connection opened"
    );
    let hello = Hello {
        connection: connection.as_str(),
        user: accepted.user.as_str(),
        epoch: &attached.epoch,
        seq: attached.seq,
        recovery: recovery.map(|r| (r.recovered, r.missed)),
    }
    .to_frame();
    Ok(Opened {
        connection,
        attached,
        hello,
    })
}

/// Serves one upgraded connection until it ends.
pub(crate) async fn run(shared: Arc<Shared>, mut ws: Socket, accepted: Accepted) {
    let cfg = &shared.config;
    let slot = match take_slot(&shared, &accepted.user) {
        Ok(slot) => slot,
        Err(_over_cap) => {
            crate::metrics::connection_closed(CloseCode::OverConnectionCap.name());
            // Boxed, as every rarely taken path below: the task's future
            // stays the size of what an open connection needs.
            let close = Box::pin(ws.close(Some(close_frame(CloseCode::OverConnectionCap))));
            let _ = tokio::time::timeout(CLOSE_LINGER, close).await;
            return;
        }
    };
    let Ok(Opened {
        connection,
        attached,
        hello,
    }) = Box::pin(open(&shared, &slot, &accepted)).await
    else {
        let close = Box::pin(ws.close(Some(close_frame(CloseCode::TryAgainLater))));
        let _ = tokio::time::timeout(CLOSE_LINGER, close).await;
        return;
    };
    let mut out = Out::new(attached.queue, cfg.write_timeout);
    let first = std::iter::once(Message::text(hello))
        .chain(attached.replay.into_iter().map(|f| Message::Text(f.text)));
    let end = match Box::pin(out.write_first(&mut ws, first)).await {
        Ok(()) => serve(&shared, &mut ws, &accepted, &mut out).await,
        Err(end) => Ended::Writing(end),
    };
    let end = match end {
        Ended::Reading(end) => {
            log_end(&accepted, &connection, &end);
            end
        }
        Ended::Writing(end) => {
            writer::log_end(&end);
            log_end(&accepted, &connection, &End::Gone);
            end
        }
    };
    crate::metrics::connection_closed(match &end {
        End::Close(code) => code.name(),
        End::Gone => "gone",
    });
    drop(out);
    // Say goodbye when the peer can still hear it, and let it answer
    // before the socket goes away.
    let linger = Box::pin(async {
        if let End::Close(code) = end {
            writer::say_goodbye(&mut ws, code, cfg.write_timeout).await;
        }
        while let Some(Ok(message)) = ws.next().await {
            if message.is_close() {
                break;
            }
        }
    });
    let _ = tokio::time::timeout(cfg.write_timeout + CLOSE_LINGER, linger).await;
}

/// Which side ended the connection, and why.
enum Ended {
    Reading(End),
    Writing(End),
}

/// What woke the connection.
enum Step {
    Read(Option<Result<Message, tungstenite::Error>>),
    Timer,
    Stop,
    Ended(End),
}

/// Reads, writes and keeps time on one task: events and replies go out as
/// the socket takes them while client messages are read, without a second
/// task or a lock around the socket.
async fn serve(shared: &Arc<Shared>, ws: &mut Socket, accepted: &Accepted, out: &mut Out) -> Ended {
    let cfg = &shared.config;
    let mut reader = Reader {
        shared,
        user: &accepted.user,
        limit: RateLimit::new(cfg.rate_per_second, cfg.rate_burst),
    };
    let mut last_heard = Instant::now();
    let expires = instant_of(accepted.expires_at);
    let mut next_ping = tokio::time::Instant::now() + cfg.ping_interval;
    // One timer for both the token's expiry and the next ping.
    let timer = tokio::time::sleep_until(next_ping.min(expires));
    tokio::pin!(timer);
    let mut stop = shared.connections.stop_signal();
    let stopping = stopped(&mut stop);
    tokio::pin!(stopping);
    loop {
        let step = poll_fn(|cx| {
            if stopping.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Step::Stop);
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Step::Timer);
            }
            if let Poll::Ready(end) = out.poll_write(ws, cx) {
                return Poll::Ready(Step::Ended(end));
            }
            ws.poll_next_unpin(cx).map(Step::Read)
        })
        .await;
        match step {
            Step::Read(message) => {
                last_heard = Instant::now();
                if let Err(end) = reader.receive(message, out).await {
                    return Ended::Reading(end);
                }
            }
            Step::Timer => {
                let now = tokio::time::Instant::now();
                if now >= expires {
                    return Ended::Reading(End::Close(CloseCode::TokenExpired));
                }
                if now >= next_ping {
                    if last_heard.elapsed() > cfg.ping_interval + cfg.pong_timeout {
                        return Ended::Reading(End::Close(CloseCode::Policy));
                    }
                    out.reply(Control::Ping);
                    next_ping = now + cfg.ping_interval;
                }
                timer.as_mut().reset(next_ping.min(expires));
            }
            // Write what is already queued, then say goodbye.
            Step::Stop => return Ended::Writing(Box::pin(out.finish(ws)).await),
            Step::Ended(end) => return Ended::Writing(end),
        }
    }
}

/// Tells an operator why a connection ended, at a level that matches how
/// unusual it is.
fn log_end(accepted: &Accepted, connection: &ConnectionId, end: &End) {
    let user = &accepted.user;
    match end {
        End::Close(code @ (CloseCode::Normal | CloseCode::GoingAway)) => {
            tracing::debug!(target: "agentwire::server", user_id = %user, connection_id = %connection, code = code.code(), "connection closed")
        }
        End::Close(code) => {
            tracing::info!(target: "agentwire::server", user_id = %user, connection_id = %connection, code = code.code(), reason = code.reason(), "connection closed")
        }
        End::Gone => {
            tracing::debug!(target: "agentwire::server", user_id = %user, connection_id = %connection, "peer gone")
        }
    }
}

/// Counts a live connection of a user for as long as it is held.
pub(crate) struct ConnectionSlot(Arc<UserLog>);

impl ConnectionSlot {
    fn take(log: &Arc<UserLog>) -> Self {
        log.connections.fetch_add(1, Ordering::AcqRel);
        crate::metrics::connection_opened();
        ConnectionSlot(log.clone())
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
        crate::metrics::connection_ended();
    }
}
