//! A connection's only writer: owns the socket's write half, feeds a batch
//! and flushes once under a write timeout, and ends with a typed reason.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::{self, Message};

use super::conn::{close_frame, End, Sink};
use super::tasks::stopped;
use super::CloseCode;
use crate::log::{Frame, Queue};

/// Frames written per flush.
const BATCH: usize = 64;

/// What the reader asks the writer to send.
pub(crate) enum Control {
    Text(String),
    Ping,
    Close(CloseCode),
}

pub(crate) struct Outbound {
    pub(crate) hello: String,
    pub(crate) replay: VecDeque<Frame>,
    pub(crate) events: Queue,
    pub(crate) control: mpsc::Receiver<Control>,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) write_timeout: Duration,
}

/// Writes until the connection ends, then sends the close frame when one
/// can still reach the peer.
pub(crate) async fn run(mut sink: Sink, out: Outbound) {
    let write_timeout = out.write_timeout;
    let Err(end) = pump(&mut sink, out).await;
    crate::metrics::connection_closed(match &end {
        End::Close(code) => code.name(),
        End::Gone => "gone",
    });
    match &end {
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
    if let End::Close(code) = end {
        let close = sink.send(Message::Close(Some(close_frame(code))));
        let _ = tokio::time::timeout(write_timeout, close).await;
    }
}

async fn pump(sink: &mut Sink, out: Outbound) -> Result<Infallible, End> {
    let Outbound {
        hello,
        mut replay,
        mut events,
        mut control,
        mut stop,
        write_timeout,
    } = out;
    let first = std::iter::once(Message::text(hello))
        .chain(replay.drain(..).map(|f| Message::Text(f.text)));
    write_batch(sink, first, write_timeout).await?;
    drop(replay);
    // Grows with the first events: an idle connection holds no batch.
    let mut batch: Vec<Frame> = Vec::new();
    // Waits for shutdown across iterations: registered once, not per batch.
    let stopping = stopped(&mut stop);
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            biased;
            _ = &mut stopping => {
                // Write what is already queued, then say goodbye.
                while let Some(frame) = events.try_recv() {
                    batch.push(frame);
                }
                if events.overflowed() {
                    return Err(End::Close(CloseCode::SlowConsumer));
                }
                if events.reset() {
                    let frames = batch.drain(..).map(|f| Message::Text(f.text));
                    write_batch(sink, frames, write_timeout).await?;
                    return Err(End::Close(CloseCode::StreamReset));
                }
                let frames = batch.drain(..).map(|f| Message::Text(f.text));
                write_batch(sink, frames, write_timeout).await?;
                return Err(End::Close(CloseCode::GoingAway));
            }
            control = control.recv() => match control {
                Some(Control::Text(text)) => {
                    write_batch(sink, [Message::text(text)], write_timeout).await?;
                }
                Some(Control::Ping) => {
                    write_batch(sink, [Message::Ping(Default::default())], write_timeout).await?;
                }
                Some(Control::Close(code)) => return Err(End::Close(code)),
                // The reader is gone: the connection is over.
                None => return Err(End::Gone),
            },
            n = events.recv_many(&mut batch, BATCH) => {
                // The log drops a queue that overflowed (and only such a
                // queue): what is left in it is not sent.
                if n == 0 || events.overflowed() {
                    return Err(End::Close(if events.overflowed() {
                        CloseCode::SlowConsumer
                    } else if events.reset() {
                        // Everything of the old stream was written.
                        CloseCode::StreamReset
                    } else {
                        CloseCode::Internal
                    }));
                }
                let frames = batch.drain(..).map(|f| Message::Text(f.text));
                write_batch(sink, frames, write_timeout).await?;
            }
        }
    }
}

/// Feeds every message and flushes once. The timeout's timer is only set
/// when the socket cannot take the batch at once.
async fn write_batch(
    sink: &mut Sink,
    messages: impl IntoIterator<Item = Message>,
    timeout: Duration,
) -> Result<(), End> {
    let write = async {
        let mut bytes = 0;
        for message in messages {
            bytes += message.len();
            sink.feed(message).await?;
        }
        crate::metrics::bytes_written(bytes);
        sink.flush().await
    };
    let mut write = std::pin::pin!(write);
    let result = match write.as_mut().now_or_never() {
        Some(result) => result,
        // A peer that reads nothing for this long cannot be sent a close
        // frame either: the socket is dropped.
        None => tokio::time::timeout(timeout, write)
            .await
            .map_err(|_| End::Gone)?,
    };
    result.map_err(|e| match e {
        // The socket refused a frame the server made: a server fault, not
        // a departed peer, and the peer is told so.
        tungstenite::Error::WriteBufferFull(_) | tungstenite::Error::Capacity(_) => {
            End::Close(CloseCode::Internal)
        }
        _ => End::Gone,
    })
}
