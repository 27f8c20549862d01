//! The per-user ordered log: assigns `seq`, keeps a bounded replay buffer
//! and fans each serialised event out to the user's subscribers.
//!
//! Each user has a log of its own behind its own lock, so users never
//! contend with each other on the emit path. Fan-out is a non-blocking
//! `try_send` of a shared buffer into each subscriber's bounded queue; a
//! subscriber whose queue is full is dropped and told so, and never slows
//! the emitter or the user's other subscribers.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::wire;
use crate::UserId;

/// One serialised event, shared by every queue it is delivered to.
#[derive(Clone)]
pub(crate) struct Frame {
    pub(crate) seq: u64,
    pub(crate) text: Utf8Bytes,
}

/// Lets the owner of a subscription learn that it was dropped for being
/// slow (its queue's sender is dropped at the same time).
#[derive(Default)]
pub(crate) struct Overflow {
    happened: AtomicBool,
}

impl Overflow {
    pub(crate) fn happened(&self) -> bool {
        self.happened.load(Ordering::Acquire)
    }

    fn signal(&self) {
        self.happened.store(true, Ordering::Release);
    }
}

struct Subscriber {
    tx: mpsc::Sender<Frame>,
    overflow: Arc<Overflow>,
}

struct LogState {
    last_seq: u64,
    replay: VecDeque<Frame>,
    subscribers: Vec<Subscriber>,
}

/// The bounds of one user's log, from the hub's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogLimits {
    /// Events kept for replay (0 keeps none).
    pub(crate) replay_events: usize,
    /// Bytes of frames kept for replay; the oldest go first.
    pub(crate) replay_bytes: usize,
    /// The largest frame (a whole envelope) an emit may produce.
    pub(crate) max_event_size: usize,
}

/// How far a subscriber's queue may fall behind before it is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueueLimit {
    pub(crate) events: usize,
    pub(crate) bytes: usize,
}

pub(crate) struct UserLog {
    user: UserId,
    limits: LogLimits,
    state: Mutex<LogState>,
    /// Live WebSocket connections of this user, for the per-user cap.
    pub(crate) connections: AtomicUsize,
    /// When the log was last used, in milliseconds since [`clock_ms`]'s start.
    last_active: AtomicU64,
}

/// The clock of idle bookkeeping: milliseconds since the Unix epoch, the
/// same clock the events' timestamps are read from, so an emit reads the
/// time once. A wall clock that jumps only moves when an idle log is
/// forgotten.
pub(crate) fn clock_ms() -> u64 {
    wire::unix_ms(std::time::SystemTime::now())
}

/// The most bytes [`UserLog::append`] puts in front of a tail:
/// `{"type":"<event_type>","seq":<u64>`.
fn head_len(event_type: &str) -> usize {
    HEAD_OPEN.len() + event_type.len() + HEAD_SEQ.len() + 20
}

const HEAD_OPEN: &[u8] = b"{\"type\":\"";
const HEAD_SEQ: &[u8] = b"\",\"seq\":";

/// What a new subscriber gets: the buffered events it asked for, then the
/// live queue, registered atomically so nothing is missed or repeated.
pub(crate) struct Attached {
    pub(crate) replay: VecDeque<Frame>,
    pub(crate) missed: u64,
    pub(crate) rx: mpsc::Receiver<Frame>,
    pub(crate) overflow: Arc<Overflow>,
}

impl UserLog {
    pub(crate) fn new(user: UserId, limits: LogLimits) -> Self {
        UserLog {
            user,
            limits,
            state: Mutex::new(LogState {
                last_seq: 0,
                replay: VecDeque::new(),
                subscribers: Vec::new(),
            }),
            connections: AtomicUsize::new(0),
            last_active: AtomicU64::new(clock_ms()),
        }
    }

    fn touch(&self, now_ms: u64) {
        self.last_active.store(now_ms, Ordering::Relaxed);
    }

    pub(crate) fn user(&self) -> &UserId {
        &self.user
    }

    pub(crate) fn limits(&self) -> &LogLimits {
        &self.limits
    }

    fn lock(&self) -> MutexGuard<'_, LogState> {
        // Nothing panics while holding the lock; if something ever did, the
        // state is still consistent (each step below is complete on its own).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one event: `tail` is everything of the envelope after `seq`
    /// (starting with `,"event_id":`); `now_ms` is the [`clock_ms`] of the
    /// emit. Returns the assigned `seq`.
    pub(crate) fn append(&self, event_type: &str, tail: &[u8], now_ms: u64) -> u64 {
        self.touch(now_ms);
        // Sized for the longest `seq`; the frame is made once and shared.
        let mut buf = Vec::with_capacity(head_len(event_type) + tail.len());
        let mut state = self.lock();
        state.last_seq += 1;
        let seq = state.last_seq;
        let (digits, from) = wire::u64_digits(seq);
        for piece in [
            HEAD_OPEN,
            event_type.as_bytes(),
            HEAD_SEQ,
            &digits[from..],
            tail,
        ] {
            buf.extend_from_slice(piece);
        }
        let frame = Frame {
            seq,
            text: utf8(buf),
        };
        let mut evicted = None;
        if self.limits.replay_events > 0 {
            if state.replay.len() == self.limits.replay_events {
                evicted = state.replay.pop_front();
            }
            state.replay.push_back(frame.clone());
        }
        state
            .subscribers
            .retain(|sub| match sub.tx.try_send(frame.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    sub.overflow.signal();
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        // The evicted frame is freed outside the lock.
        drop(state);
        drop(evicted);
        seq
    }

    /// Registers a subscriber with a queue of `capacity` events. With
    /// `after = Some(n)`, the buffered events with `seq > n` come first.
    pub(crate) fn attach(&self, after: Option<u64>, limit: QueueLimit) -> Attached {
        let (tx, rx) = mpsc::channel(limit.events.max(1));
        let overflow = Arc::new(Overflow::default());
        self.touch(clock_ms());
        let mut state = self.lock();
        let (replay, missed) = match after {
            None => (VecDeque::new(), 0),
            Some(n) => {
                let replay: VecDeque<Frame> =
                    state.replay.iter().filter(|f| f.seq > n).cloned().collect();
                let first = replay.front().map_or(state.last_seq + 1, |f| f.seq);
                (replay, first.saturating_sub(n + 1))
            }
        };
        state.subscribers.push(Subscriber {
            tx,
            overflow: overflow.clone(),
        });
        Attached {
            replay,
            missed,
            rx,
            overflow,
        }
    }

    pub(crate) fn last_seq(&self) -> u64 {
        self.lock().last_seq
    }

    /// Whether the log can be forgotten: nobody but the hub holds it, and
    /// it has not been used for `retention_ms`.
    pub(crate) fn is_idle(self: &Arc<Self>, now_ms: u64, retention_ms: u64) -> bool {
        Arc::strong_count(self) == 1
            && self.connections.load(Ordering::Acquire) == 0
            && now_ms.saturating_sub(self.last_active.load(Ordering::Relaxed)) >= retention_ms
            && {
                let mut state = self.lock();
                state.subscribers.retain(|s| !s.tx.is_closed());
                state.subscribers.is_empty()
            }
    }
}

fn utf8(buf: Vec<u8>) -> Utf8Bytes {
    match String::from_utf8(buf) {
        Ok(s) => Utf8Bytes::from(s),
        // Every piece of an envelope is written as UTF-8; this is unreachable
        // but must not panic a server.
        Err(e) => Utf8Bytes::from(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// One event as it goes on the wire: its `seq` and its JSON text.
///
/// ```
/// # async fn demo(mut events: agentwire::Subscription) -> Result<(), agentwire::RecvError> {
/// let event = events.recv().await?;
/// println!("#{} {}: {}", event.seq(), event.event_type(), event.as_str());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WireEvent(Frame);

impl WireEvent {
    /// The event's `seq`: +1 for each event of the user, across runs.
    pub fn seq(&self) -> u64 {
        self.0.seq
    }

    /// The whole envelope as JSON text, exactly as sent to browsers.
    pub fn as_str(&self) -> &str {
        self.0.text.as_str()
    }

    /// The envelope's `type`, e.g. `tool_completed`.
    pub fn event_type(&self) -> &str {
        // Every envelope starts with `{"type":"<name>"` and names are plain ASCII.
        let text = self.as_str();
        let rest = text.strip_prefix("{\"type\":\"").unwrap_or("");
        rest.split('"').next().unwrap_or("")
    }

    /// The envelope parsed into a `serde_json::Value`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::from_str(self.as_str()).unwrap_or(serde_json::Value::Null)
    }
}

impl fmt::Debug for WireEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why [`Subscription::recv`] returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// The subscription's queue was full when an event arrived, so it was
    /// dropped rather than slowing the emitter. Subscribe again (with
    /// [`UserWebSocketManager::subscribe_after`](crate::UserWebSocketManager::subscribe_after)
    /// to replay what is still buffered).
    #[error("the subscriber fell behind and was dropped; subscribe again to catch up")]
    Lagged,
    /// The hub that fed this subscription is gone.
    #[error("the hub was dropped")]
    Closed,
}

/// An in-process feed of one user's events, in `seq` order.
///
/// Obtained from a [`UserWebSocketManager`](crate::UserWebSocketManager);
/// it sees exactly the events of the manager's user, like each of that
/// user's browser tabs.
///
/// ```
/// use agentwire::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let hub = Hub::builder().build()?;
/// let ctx = UserExecutionContext::new(UserId::new("alice")?, ThreadId::new("t1")?);
/// let manager = hub.factory().create_manager(&ctx).await?;
/// let mut events = manager.subscribe();
/// let run = emit!(manager.bridge(), agent_started { agent_name: "researcher" });
/// emit!(run, agent_completed {});
/// assert_eq!(events.recv().await?.event_type(), "agent_started");
/// assert_eq!(events.recv().await?.event_type(), "agent_completed");
/// # Ok(()) }
/// ```
pub struct Subscription {
    replay: VecDeque<Frame>,
    missed: u64,
    rx: mpsc::Receiver<Frame>,
    overflow: Arc<Overflow>,
}

impl Subscription {
    pub(crate) fn new(attached: Attached) -> Self {
        Subscription {
            replay: attached.replay,
            missed: attached.missed,
            rx: attached.rx,
            overflow: attached.overflow,
        }
    }

    /// The next event. Never blocks an emitter: if this subscription falls
    /// more than its capacity behind it ends with [`RecvError::Lagged`].
    pub async fn recv(&mut self) -> Result<WireEvent, RecvError> {
        if let Some(frame) = self.replay.pop_front() {
            return Ok(WireEvent(frame));
        }
        match self.rx.recv().await {
            Some(frame) => Ok(WireEvent(frame)),
            None if self.overflow.happened() => Err(RecvError::Lagged),
            None => Err(RecvError::Closed),
        }
    }

    /// How many events after the requested `seq` were no longer in the
    /// replay buffer when this subscription started.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("buffered", &(self.replay.len() + self.rx.len()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(cap: usize) -> UserLog {
        UserLog::new(
            UserId::new("u").unwrap(),
            LogLimits {
                replay_events: cap,
                replay_bytes: usize::MAX,
                max_event_size: 1 << 20,
            },
        )
    }

    fn q(events: usize) -> QueueLimit {
        QueueLimit {
            events,
            bytes: usize::MAX,
        }
    }

    #[tokio::test]
    async fn seq_is_gap_free_and_frames_are_complete_json() {
        let log = log(4);
        let mut sub = Subscription::new(log.attach(None, q(16)));
        for i in 1..=3 {
            assert_eq!(log.append("x", b",\"payload\":{}}", 0), i);
        }
        assert_eq!(log.append("some_event", b",\"payload\":{\"n\":1}}", 0), 4);
        for i in 1..=3 {
            let e = sub.recv().await.unwrap();
            assert_eq!(e.seq(), i);
            assert_eq!(e.event_type(), "x");
            assert_eq!(e.to_json()["seq"], i);
        }
        assert_eq!(
            sub.recv().await.unwrap().as_str(),
            r#"{"type":"some_event","seq":4,"payload":{"n":1}}"#
        );
    }

    #[tokio::test]
    async fn replay_is_bounded_and_reports_what_was_missed() {
        let log = log(3);
        for _ in 0..5 {
            log.append("x", b"}", 0);
        }
        let mut sub = Subscription::new(log.attach(Some(0), q(16)));
        assert_eq!(sub.missed(), 2);
        let seqs: Vec<u64> = [(); 3]
            .iter()
            .map(|_| sub.replay.pop_front().unwrap().seq)
            .collect();
        assert_eq!(seqs, [3, 4, 5]);
        let sub = Subscription::new(log.attach(Some(4), q(16)));
        assert_eq!((sub.missed(), sub.replay.len()), (0, 1));
    }

    #[tokio::test]
    async fn a_full_subscriber_is_dropped_not_waited_for() {
        let log = log(0);
        let mut slow = Subscription::new(log.attach(None, q(2)));
        let mut fast = Subscription::new(log.attach(None, q(100)));
        for _ in 0..10 {
            log.append("x", b"}", 0);
        }
        assert_eq!(slow.recv().await.unwrap().seq(), 1);
        assert_eq!(slow.recv().await.unwrap().seq(), 2);
        assert_eq!(slow.recv().await.unwrap_err(), RecvError::Lagged);
        for i in 1..=10 {
            assert_eq!(fast.recv().await.unwrap().seq(), i);
        }
    }
}
