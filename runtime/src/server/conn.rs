//! One WebSocket connection after the handshake: the per-user cap, the
//! subscription to the user's log, then a reader (this task) and a single
//! writer task that owns the socket's write half.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::StreamExt;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::handshake::Accepted;
use super::protocol::Hello;
use super::reader::Reader;
use super::writer::{self, Control, Outbound};
use super::{CloseCode, Shared};
use crate::log::{Attached, QueueLimit, Resume, UserLog};
use crate::{ConnectionId, UserId};

pub(crate) type Socket = WebSocketStream<TokioIo<Upgraded>>;
pub(crate) type Sink = SplitSink<Socket, Message>;
pub(crate) type Source = SplitStream<Socket>;

/// Server-originated frames (pongs, errors, pings) waiting for the writer.
const CONTROL_CAPACITY: usize = 32;
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
            let close = ws.close(Some(close_frame(CloseCode::OverConnectionCap)));
            let _ = tokio::time::timeout(CLOSE_LINGER, close).await;
            return;
        }
    };
    let Ok(Opened {
        connection,
        attached,
        hello,
    }) = open(&shared, &slot, &accepted).await
    else {
        let close = ws.close(Some(close_frame(CloseCode::TryAgainLater)));
        let _ = tokio::time::timeout(CLOSE_LINGER, close).await;
        return;
    };
    let (sink, mut source) = ws.split();
    let (control_tx, control_rx) = mpsc::channel(CONTROL_CAPACITY);
    let mut writer = tokio::spawn(writer::run(
        sink,
        Outbound {
            hello,
            replay: attached.replay,
            events: attached.queue,
            control: control_rx,
            stop: shared.stop_connections.subscribe(),
            write_timeout: cfg.write_timeout,
        },
    ));
    let reader = Reader {
        shared: &shared,
        user: &accepted.user,
        control: &control_tx,
        expires_at: accepted.expires_at,
    };
    let Err(end) = reader.run(&mut source, &mut writer).await;
    log_end(&accepted, &connection, &end);
    if let End::Close(code) = end {
        // Waits for room rather than losing the goodbye; a writer stuck
        // that long is past its own write timeout and gone.
        let send = control_tx.send(Control::Close(code));
        let _ = tokio::time::timeout(cfg.write_timeout, send).await;
    }
    drop(control_tx);
    // Let the writer send the close frame, and the peer answer it, before
    // the socket goes away.
    let linger = async {
        // The reader may have seen the writer end already.
        if !writer.is_finished() {
            let _ = (&mut writer).await;
        }
        while let Some(Ok(message)) = source.next().await {
            if message.is_close() {
                break;
            }
        }
    };
    if tokio::time::timeout(cfg.write_timeout + CLOSE_LINGER, linger)
        .await
        .is_err()
    {
        writer.abort();
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
