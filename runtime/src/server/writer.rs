//! A connection's outgoing side: the user's events and the server's own
//! frames (pongs, errors, pings), fed in batches and flushed once per
//! batch under a write timeout. Driven by the connection's task, which
//! polls it alongside the socket's read half.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_util::{Sink, SinkExt};
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::tungstenite::{self, Message};

use super::conn::{close_frame, End, Socket};
use super::CloseCode;
use crate::log::{Frame, Queue};

/// Frames written per flush.
const BATCH: usize = 64;
/// Batches written per poll before the task yields to others.
const BATCHES_PER_POLL: usize = 8;
/// Server-originated frames waiting to be written; beyond that they are
/// dropped: a client this far behind is not reading them either.
const CONTROL_CAPACITY: usize = 32;

/// A frame the server itself sends.
pub(crate) enum Control {
    Text(String),
    Ping,
}

impl Control {
    fn into_message(self) -> Message {
        match self {
            Control::Text(text) => Message::text(text),
            Control::Ping => Message::Ping(Default::default()),
        }
    }
}

pub(crate) struct Out {
    events: Queue,
    /// Grows on demand: an idle connection holds none.
    control: VecDeque<Control>,
    /// Taken from `events`, not yet fed to the socket; empty while idle.
    batch: VecDeque<Frame>,
    /// Frames were fed and are not flushed yet.
    unflushed: bool,
    write_timeout: Duration,
    /// Set only while the socket cannot take a batch at once; allocated
    /// the first time that happens.
    deadline: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl Out {
    pub(crate) fn new(events: Queue, write_timeout: Duration) -> Self {
        Out {
            events,
            control: VecDeque::new(),
            batch: VecDeque::new(),
            unflushed: false,
            write_timeout,
            deadline: None,
            armed: false,
        }
    }

    /// Queues a server frame, or drops it if the client is this far behind.
    pub(crate) fn reply(&mut self, control: Control) {
        if self.control.len() < CONTROL_CAPACITY {
            self.control.push_back(control);
        }
    }

    /// Hands this connection each of its user's events after the others'.
    pub(crate) fn focus(&self) {
        self.events.focus();
    }

    /// Writes messages (the hello and the replay) before anything else.
    pub(crate) async fn write_first(
        &mut self,
        ws: &mut Socket,
        messages: impl IntoIterator<Item = Message>,
    ) -> Result<(), End> {
        let write = async {
            let mut bytes = 0;
            for message in messages {
                bytes += message.len();
                ws.feed(message).await?;
            }
            crate::metrics::bytes_written(bytes);
            ws.flush().await
        };
        let mut write = std::pin::pin!(write);
        let result = match futures_util::FutureExt::now_or_never(write.as_mut()) {
            Some(result) => result,
            None => tokio::time::timeout(self.write_timeout, write)
                .await
                .map_err(|_| End::Gone)?,
        };
        result.map_err(write_error)
    }

    /// Writes what is waiting, as far as the socket takes it at once.
    /// `Ready` with the reason when the connection must end; `Pending` when
    /// idle or blocked (woken by the queue, the socket or the deadline).
    pub(crate) fn poll_write(&mut self, ws: &mut Socket, cx: &mut Context<'_>) -> Poll<End> {
        for _ in 0..BATCHES_PER_POLL {
            if let Err(end) = ready!(self.poll_drain(ws, cx)) {
                return Poll::Ready(end);
            }
            // Server frames first, each on its own.
            if let Some(control) = self.control.pop_front() {
                let message = control.into_message();
                crate::metrics::bytes_written(message.len());
                if let Err(e) = Pin::new(&mut *ws).start_send(message) {
                    return Poll::Ready(write_error(e));
                }
                self.unflushed = true;
                continue;
            }
            match self.events.poll_recv_many(cx, &mut self.batch, BATCH) {
                Poll::Pending => return Poll::Pending,
                // The log drops a queue that overflowed: what is left in
                // it is not sent.
                Poll::Ready(_) if self.events.overflowed() => {
                    return Poll::Ready(End::Close(CloseCode::SlowConsumer));
                }
                // A queue that ended otherwise was written to its end.
                Poll::Ready(0) => {
                    return Poll::Ready(End::Close(if self.events.reset() {
                        // Everything of the old stream was written.
                        CloseCode::StreamReset
                    } else {
                        CloseCode::Internal
                    }));
                }
                Poll::Ready(_) => {}
            }
        }
        // Lets the other tasks run; carries on when polled again.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Writes what is already queued, then is done: for shutdown.
    pub(crate) async fn finish(&mut self, ws: &mut Socket) -> End {
        while let Some(frame) = self.events.try_recv() {
            self.batch.push_back(frame);
        }
        if self.events.overflowed() {
            return End::Close(CloseCode::SlowConsumer);
        }
        match poll_fn(|cx| self.poll_drain(ws, cx)).await {
            Ok(()) if self.events.reset() => End::Close(CloseCode::StreamReset),
            Ok(()) => End::Close(CloseCode::GoingAway),
            Err(end) => end,
        }
    }

    /// Feeds the batch and flushes it. The deadline is armed only when the
    /// socket cannot take it at once.
    fn poll_drain(&mut self, ws: &mut Socket, cx: &mut Context<'_>) -> Poll<Result<(), End>> {
        if self.batch.is_empty() {
            return self.poll_flushed(ws, cx);
        }
        let mut bytes = 0;
        let fed = self.feed(ws, cx, &mut bytes);
        // Counted once per batch: the counter is shared by every connection.
        crate::metrics::bytes_written(bytes);
        match fed {
            Poll::Ready(Ok(())) => self.poll_flushed(ws, cx),
            other => other,
        }
    }

    /// Feeds the batch's frames as far as the socket takes them.
    fn feed(
        &mut self,
        ws: &mut Socket,
        cx: &mut Context<'_>,
        bytes: &mut usize,
    ) -> Poll<Result<(), End>> {
        while !self.batch.is_empty() {
            match Pin::new(&mut *ws).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(write_error(e))),
                Poll::Pending => return self.blocked(cx),
            }
            let Some(frame) = self.batch.pop_front() else {
                break;
            };
            *bytes += frame.text.len();
            if let Err(e) = Pin::new(&mut *ws).start_send(Message::Text(frame.text)) {
                return Poll::Ready(Err(write_error(e)));
            }
            self.unflushed = true;
        }
        Poll::Ready(Ok(()))
    }

    /// Flushes what was fed.
    fn poll_flushed(&mut self, ws: &mut Socket, cx: &mut Context<'_>) -> Poll<Result<(), End>> {
        if self.unflushed {
            match Pin::new(&mut *ws).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(write_error(e))),
                Poll::Pending => return self.blocked(cx),
            }
        }
        self.armed = false;
        Poll::Ready(Ok(()))
    }

    /// The socket cannot take more now: waits, up to the write timeout
    /// from the first time this batch was blocked.
    fn blocked(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), End>> {
        if !self.armed {
            let at = Instant::now() + self.write_timeout;
            match &mut self.deadline {
                Some(deadline) => deadline.as_mut().reset(at),
                None => self.deadline = Some(Box::pin(tokio::time::sleep_until(at))),
            }
            self.armed = true;
        }
        match self.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
            // A peer that reads nothing for this long cannot be sent a
            // close frame either: the socket is dropped.
            Some(Poll::Ready(())) => Poll::Ready(Err(End::Gone)),
            _ => Poll::Pending,
        }
    }
}

/// Sends the close frame, under the write timeout.
pub(crate) async fn say_goodbye(ws: &mut Socket, code: CloseCode, timeout: Duration) {
    let close = ws.send(Message::Close(Some(close_frame(code))));
    let _ = tokio::time::timeout(timeout, close).await;
}

/// Logs why the writing side ended the connection.
pub(crate) fn log_end(end: &End) {
    match end {
        End::Close(CloseCode::SlowConsumer) => tracing::warn!(
            target: "agentwire::server",
            "a connection fell more than its queue behind and is closed with 4008"
        ),
        End::Close(CloseCode::Internal) => tracing::error!(
            target: "agentwire::server",
            "the socket refused a frame; the connection is closed with 1011"
        ),
        End::Gone => {
            tracing::debug!(target: "agentwire::server", "write failed or timed out: peer gone")
        }
        End::Close(_) => {}
    }
}

fn write_error(e: tungstenite::Error) -> End {
    match e {
        // The socket refused a frame the server made: a server fault, not
        // a departed peer, and the peer is told so.
        tungstenite::Error::WriteBufferFull(_) | tungstenite::Error::Capacity(_) => {
            End::Close(CloseCode::Internal)
        }
        _ => End::Gone,
    }
}
