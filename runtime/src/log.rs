//! The per-user ordered log: assigns `seq`, keeps a bounded replay buffer
//! and fans each serialised event out to the user's subscribers.
//!
//! Each user has a log of its own behind its own lock, so users never
//! contend with each other on the emit path. Fan-out is a non-blocking
//! `try_send` of a shared buffer into each subscriber's queue, bounded in
//! events and in bytes; a subscriber whose queue would go over is dropped
//! and told so, and never slows the emitter or the user's other
//! subscribers. The replay buffer is bounded the same two ways.
//!
//! A log is one stream, named by its epoch: a new log (after a restart, or
//! after an idle log was forgotten) starts again at `seq` 1 under a new
//! epoch. Resuming is all or nothing: a subscriber either gets every event
//! after the `seq` it names, or none and is told it must start over.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::queue;
use crate::wire;
use crate::UserId;

#[cfg(feature = "redis")]
pub(crate) mod remote;

/// Where a user's events are ordered: what assigns `seq` and holds the
/// stream of record. The replay window and the fan-out to this process's
/// subscribers are [`UserLog`]'s own, whatever the backend; framing (the
/// envelope's head) is not a backend's business either.
///
/// A backend is chosen once per hub; [`Backend`] dispatches statically, so
/// the in-memory path pays one branch per event and nothing else.
pub(crate) trait LogBackend {
    /// Whether `seq` is assigned in this process, at the emit. A remote
    /// backend assigns it later and feeds the log through its mirror.
    fn is_local(&self) -> bool;

    /// Takes one event of a remote stream: `tail` is the envelope after
    /// `seq`. Never blocks and never fails; a local log never calls it.
    fn append(&self, event_type: &str, tail: &[u8]);

    /// Brings `log` up to date with the stream of record before an attach;
    /// the returned guard keeps it following the stream until dropped.
    fn sync(
        &self,
        log: &Arc<UserLog>,
    ) -> impl std::future::Future<Output = Result<SyncGuard, crate::Error>> + Send;

    /// The log's first subscriber arrived or its last left, or one
    /// arrived while the log is not live.
    fn subscribers_changed(&self, log: &UserLog);

    /// Whether the log can be forgotten as far as the backend is concerned
    /// (nothing waits to be written).
    fn is_idle(&self) -> bool;
}

/// What [`LogBackend::sync`] hands back for the time of an attach.
pub(crate) struct SyncGuard {
    #[cfg(feature = "redis")]
    _attaching: Option<remote::Attaching>,
}

/// The default: `seq`, the replay window and the fan-out all live in this
/// process.
pub(crate) struct Memory;

impl LogBackend for Memory {
    fn is_local(&self) -> bool {
        true
    }

    fn append(&self, _event_type: &str, _tail: &[u8]) {}

    async fn sync(&self, _log: &Arc<UserLog>) -> Result<SyncGuard, crate::Error> {
        Ok(SyncGuard {
            #[cfg(feature = "redis")]
            _attaching: None,
        })
    }

    fn subscribers_changed(&self, _log: &UserLog) {}

    fn is_idle(&self) -> bool {
        true
    }
}

/// The backends a hub can have, dispatched without a vtable.
pub(crate) enum Backend {
    Memory(Memory),
    /// A stream shared by every node on one Redis.
    #[cfg(feature = "redis")]
    Remote(Arc<remote::RedisStream>),
}

impl LogBackend for Backend {
    fn is_local(&self) -> bool {
        match self {
            Backend::Memory(m) => m.is_local(),
            #[cfg(feature = "redis")]
            Backend::Remote(r) => r.is_local(),
        }
    }

    fn append(&self, event_type: &str, tail: &[u8]) {
        match self {
            Backend::Memory(m) => m.append(event_type, tail),
            #[cfg(feature = "redis")]
            Backend::Remote(r) => r.append(event_type, tail),
        }
    }

    async fn sync(&self, log: &Arc<UserLog>) -> Result<SyncGuard, crate::Error> {
        match self {
            Backend::Memory(m) => m.sync(log).await,
            #[cfg(feature = "redis")]
            Backend::Remote(r) => r.sync(log).await,
        }
    }

    fn subscribers_changed(&self, log: &UserLog) {
        match self {
            Backend::Memory(m) => m.subscribers_changed(log),
            #[cfg(feature = "redis")]
            Backend::Remote(r) => r.subscribers_changed(log),
        }
    }

    fn is_idle(&self) -> bool {
        match self {
            Backend::Memory(m) => m.is_idle(),
            #[cfg(feature = "redis")]
            Backend::Remote(r) => r.is_idle(),
        }
    }
}

/// One serialised event, shared by every queue it is delivered to.
#[derive(Clone)]
pub(crate) struct Frame {
    pub(crate) seq: u64,
    pub(crate) text: Utf8Bytes,
}

struct Subscriber {
    id: u64,
    tx: queue::Sender,
}

/// Laid out in declaration order: what an emit reads and writes first.
#[repr(C)]
struct LogState {
    last_seq: u64,
    /// The sum of the lengths of the frames in `replay`.
    replay_bytes: usize,
    replay: VecDeque<Frame>,
    subscribers: Vec<Subscriber>,
    /// Whether `last_seq` and `replay` are the stream's own. Always true in
    /// memory; a remote backend's mirror is not live until it has synced
    /// with its backend, and a resume is then never recovered.
    live: bool,
    /// Names this stream: a new log of the same user has a new epoch. A
    /// remote backend may move the log to another stream ([`Self::reset`]).
    epoch: Arc<str>,
    next_subscriber: u64,
}

/// The bounds of one user's log, from the hub's configuration.
/// In declaration order: the bounds an emit reads come first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct LogLimits {
    /// Events kept for replay (0 keeps none).
    pub(crate) replay_events: usize,
    /// Bytes of frames kept for replay; the oldest go first.
    pub(crate) replay_bytes: usize,
    /// The largest frame (a whole envelope) an emit may produce.
    pub(crate) max_event_size: usize,
    /// The time budget of agent runs that set none of their own.
    pub(crate) run_budget: Option<std::time::Duration>,
}

/// How far a subscriber's queue may fall behind before it is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueueLimit {
    pub(crate) events: usize,
    pub(crate) bytes: usize,
}

/// Laid out in declaration order from the start of a cache line: what an
/// emit touches (the idle clock, the state behind the lock, the bounds)
/// comes first and fits in two lines, so an emit over many users' logs
/// touches two lines of each log, not four.
#[repr(C, align(64))]
pub(crate) struct UserLog {
    /// When the log was last used, in milliseconds since [`clock_ms`]'s start.
    last_active: AtomicU64,
    state: Mutex<LogState>,
    limits: LogLimits,
    /// Where `seq` is assigned: in this process, or by a shared backend.
    backend: Backend,
    user: UserId,
    /// Live WebSocket connections of this user, for the per-user cap.
    pub(crate) connections: AtomicUsize,
    /// The user's live runs, for `cancel_run` and the per-user run cap.
    pub(crate) runs: Arc<crate::control::UserRuns>,
}

/// The clock of idle bookkeeping: milliseconds since the Unix epoch, the
/// same clock the events' timestamps are read from, so an emit reads the
/// time once. A wall clock that jumps only moves when an idle log is
/// forgotten.
pub(crate) fn clock_ms() -> u64 {
    wire::unix_ms(std::time::SystemTime::now())
}

/// Where a subscriber asks to resume: after `since`, in the stream named
/// `epoch`. Without an epoch a restarted stream that has reached `since`
/// again cannot be told apart from the one the subscriber saw.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resume<'a> {
    pub(crate) since: u64,
    pub(crate) epoch: Option<&'a str>,
}

/// The answer to a [`Resume`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Recovery {
    /// Every event after `since` is in the replay; false means none is and
    /// the subscriber must start over from the current state.
    pub(crate) recovered: bool,
    /// Events after `since` up to the attach (all replayed when
    /// `recovered`); `None` when unknown: another epoch, or `since` ahead of
    /// the stream.
    pub(crate) missed: Option<u64>,
}

/// What a new subscriber gets: the buffered events it asked for, then the
/// live queue, registered atomically so nothing is missed or repeated.
pub(crate) struct Attached {
    /// The log's epoch.
    pub(crate) epoch: Arc<str>,
    /// The `seq` of the last event before the live queue starts.
    pub(crate) seq: u64,
    /// `None` when no resume was asked for.
    pub(crate) recovery: Option<Recovery>,
    pub(crate) replay: VecDeque<Frame>,
    pub(crate) queue: Queue,
}

impl UserLog {
    #[cfg(test)]
    pub(crate) fn new(user: UserId, limits: LogLimits) -> Self {
        Self::with_backend(user, limits, Backend::Memory(Memory))
    }

    pub(crate) fn with_backend(user: UserId, limits: LogLimits, backend: Backend) -> Self {
        let live = backend.is_local();
        UserLog {
            user,
            limits,
            backend,
            state: Mutex::new(LogState {
                epoch: crate::id::fresh("epoch"),
                live,
                last_seq: 0,
                replay: VecDeque::new(),
                replay_bytes: 0,
                subscribers: Vec::new(),
                next_subscriber: 0,
            }),
            connections: AtomicUsize::new(0),
            runs: Arc::default(),
            last_active: AtomicU64::new(clock_ms()),
        }
    }

    /// Registers a run of this user that this process hosts, before its
    /// first event: for `cancel_run` here and, with a remote backend, from
    /// any node.
    pub(crate) fn run_started(&self, id: &crate::RunId, run: Weak<crate::run::RunCore>) {
        #[cfg(feature = "redis")]
        if let Backend::Remote(remote) = &self.backend {
            remote.host_run(id, run.clone());
        }
        self.runs.register(id, run);
    }

    /// The run `id` sent its terminal events.
    pub(crate) fn run_ended(&self, id: &crate::RunId) {
        self.runs.unregister(id);
        #[cfg(feature = "redis")]
        if let Backend::Remote(remote) = &self.backend {
            remote.end_run(id);
        }
    }

    /// The shared backend, when the log is one node's view of it.
    #[cfg(feature = "redis")]
    pub(crate) fn remote(&self) -> Option<&Arc<remote::RedisStream>> {
        match &self.backend {
            Backend::Remote(remote) => Some(remote),
            Backend::Memory(_) => None,
        }
    }

    fn touch(&self, now_ms: u64) {
        self.last_active.store(now_ms, Ordering::Relaxed);
    }

    pub(crate) fn user(&self) -> &UserId {
        &self.user
    }

    #[allow(dead_code, reason = "the emit path's size limit is read here")]
    pub(crate) fn limits(&self) -> &LogLimits {
        &self.limits
    }

    /// The stream's epoch (for a remote backend: the one this node last
    /// synced with).
    pub(crate) fn epoch(&self) -> Arc<str> {
        self.lock().epoch.clone()
    }

    fn lock(&self) -> MutexGuard<'_, LogState> {
        // Nothing panics while holding the lock; if something ever did, the
        // state is still consistent (each step below is complete on its own).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one event: `tail` is everything of the envelope after `seq`
    /// (starting with `,"event_id":`); `now_ms` is the [`clock_ms`] of the
    /// emit. Returns the assigned `seq`.
    /// With a remote backend the event is handed to it and `seq`, assigned
    /// there, is not known yet: 0 is returned.
    pub(crate) fn append(&self, event_type: &str, tail: &[u8], now_ms: u64) -> u64 {
        self.touch(now_ms);
        if !self.backend.is_local() {
            self.backend.append(event_type, tail);
            return 0;
        }
        let mut state = self.lock();
        state.last_seq += 1;
        let seq = state.last_seq;
        // Made once and shared; at its exact size, which needs `seq`.
        let len = wire::frame_len(event_type, seq, tail.len());
        // The frames the new one pushes out of the replay window are freed
        // first: the allocator hands their memory, just touched, to the
        // new frame instead of memory gone cold.
        state.make_room(len, &self.limits);
        let mut buf = Vec::with_capacity(len);
        wire::push_frame(&mut buf, event_type, seq, tail);
        debug_assert_eq!(buf.len(), buf.capacity());
        let frame = Frame {
            seq,
            text: utf8(buf),
        };
        let evicted = state.publish(frame, &self.limits);
        drop(state);
        drop(evicted);
        seq
    }
}

impl LogState {
    /// Drops the oldest frames of the replay window until a frame of `len`
    /// bytes fits in it.
    fn make_room(&mut self, len: usize, limits: &LogLimits) {
        if limits.replay_events == 0 {
            return;
        }
        while self.replay.len() >= limits.replay_events
            || self.replay_bytes + len > limits.replay_bytes
        {
            let Some(old) = self.replay.pop_front() else {
                break;
            };
            self.replay_bytes -= old.text.len();
        }
    }

    /// Keeps `frame` (the next `seq`) for replay and hands it to every
    /// subscriber; returns a frame pushed out of the replay buffer, to be
    /// freed outside the lock.
    fn publish(&mut self, frame: Frame, limits: &LogLimits) -> Option<Frame> {
        let state = self;
        state.last_seq = frame.seq;
        let len = frame.text.len();
        // A queue the frame would take over a bound is dropped (and marked
        // so), as is one whose receiver is gone.
        state.subscribers.retain(|sub| sub.tx.push(&frame).is_ok());
        let mut evicted = None;
        if limits.replay_events > 0 {
            // The replay buffer keeps the frame itself: no extra reference
            // (nor, for a frame nobody else holds, a shared header) is made.
            state.replay.push_back(frame);
            state.replay_bytes += len;
            while state.replay.len() > limits.replay_events
                || state.replay_bytes > limits.replay_bytes
            {
                let Some(old) = state.replay.pop_front() else {
                    break;
                };
                state.replay_bytes -= old.text.len();
                // Usually one frame goes and is freed outside the lock; a
                // large frame may push out several, the rest freed here.
                evicted = Some(old);
            }
        } else {
            evicted = Some(frame);
        }
        evicted
    }

    /// The stream is not the one the subscribers followed any more (it was
    /// lost, or this node could not fill a gap in it): each is dropped,
    /// after what is already queued, and told so; the replay buffer goes.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    fn reset(&mut self) -> VecDeque<Frame> {
        for sub in self.subscribers.drain(..) {
            sub.tx.reset();
        }
        self.replay_bytes = 0;
        std::mem::take(&mut self.replay)
    }
}

impl UserLog {
    /// Registers a subscriber whose queue holds at most `limit`. With a
    /// `resume`, the buffered events after `resume.since` come first, all of
    /// them or (when some are gone, or the stream is another) none.
    pub(crate) fn attach(
        self: &Arc<Self>,
        resume: Option<Resume<'_>>,
        limit: QueueLimit,
    ) -> Attached {
        let (tx, rx) = queue::channel(limit);
        self.touch(clock_ms());
        let mut state = self.lock();
        let (recovery, replay) = match resume {
            None => (None, VecDeque::new()),
            Some(resume) => {
                let (recovery, replay) = state.resume(resume);
                (Some(recovery), replay)
            }
        };
        let id = state.next_subscriber;
        state.next_subscriber += 1;
        state.subscribers.push(Subscriber { id, tx });
        let seq = state.last_seq;
        let epoch = state.epoch.clone();
        let first = state.subscribers.len() == 1;
        let live = state.live;
        drop(state);
        if first || !live {
            self.backend.subscribers_changed(self);
        }
        Attached {
            epoch,
            seq,
            recovery,
            replay,
            queue: Queue {
                rx,
                log: Arc::downgrade(self),
                id,
            },
        }
    }

    /// Registers a subscriber as [`Self::attach`] does, once a remote
    /// backend has brought this node's view of the stream up to date, so
    /// that a resume is answered from the whole stream. Fails when the
    /// backend cannot be reached.
    pub(crate) async fn attach_synced(
        self: &Arc<Self>,
        resume: Option<Resume<'_>>,
        limit: QueueLimit,
    ) -> Result<Attached, crate::Error> {
        let _hold = self.backend.sync(self).await?;
        Ok(self.attach(resume, limit))
    }

    /// Makes subscriber `id` the last one each event is handed to. Its
    /// reader is then woken last, and a scheduler that runs the task woken
    /// last first (tokio's) serves it right after the emitter: the tab that
    /// started a run sees it first.
    fn focus(&self, id: u64) {
        let mut state = self.lock();
        if let Some(i) = state.subscribers.iter().position(|s| s.id == id) {
            let sub = state.subscribers.remove(i);
            state.subscribers.push(sub);
        }
    }

    fn unsubscribe(&self, id: u64) {
        let mut state = self.lock();
        if let Some(i) = state.subscribers.iter().position(|s| s.id == id) {
            state.subscribers.swap_remove(i);
        }
        let last = state.subscribers.is_empty();
        drop(state);
        if last {
            self.backend.subscribers_changed(self);
        }
    }

    pub(crate) fn last_seq(&self) -> u64 {
        self.lock().last_seq
    }

    /// Live subscribers: in-process subscriptions and connections.
    pub(crate) fn subscriber_count(&self) -> usize {
        self.lock().subscribers.len()
    }

    /// Whether the log can be forgotten: nobody but the hub holds it, and
    /// it has not been used for `retention_ms`.
    pub(crate) fn is_idle(self: &Arc<Self>, now_ms: u64, retention_ms: u64) -> bool {
        Arc::strong_count(self) == 1
            && self.connections.load(Ordering::Acquire) == 0
            && now_ms.saturating_sub(self.last_active.load(Ordering::Relaxed)) >= retention_ms
            && self.lock().subscribers.is_empty()
            && self.backend.is_idle()
    }
}

impl LogState {
    /// The all-or-nothing answer to `resume` in the stream named `epoch`.
    fn resume(&self, resume: Resume<'_>) -> (Recovery, VecDeque<Frame>) {
        let same_stream = resume.epoch.is_none_or(|e| e == &*self.epoch);
        if !self.live || !same_stream || resume.since > self.last_seq {
            let recovery = Recovery {
                recovered: false,
                missed: None,
            };
            return (recovery, VecDeque::new());
        }
        let missed = self.last_seq - resume.since;
        // The buffer holds consecutive `seq`s ending at `last_seq`, so it
        // has everything after `since` exactly when it has `since + 1`.
        let first = self.replay.front().map_or(self.last_seq + 1, |f| f.seq);
        let recovered = missed == 0 || first <= resume.since + 1;
        let replay = if recovered && missed > 0 {
            let skip = (resume.since + 1 - first) as usize;
            self.replay.range(skip..).cloned().collect()
        } else {
            VecDeque::new()
        };
        let recovery = Recovery {
            recovered,
            missed: Some(missed),
        };
        (recovery, replay)
    }
}

/// The receiving end of a subscriber's queue. Keeps the queue's byte count
/// as frames are taken, and unsubscribes from the log when dropped so a
/// closed connection costs the log nothing.
pub(crate) struct Queue {
    rx: queue::Receiver,
    /// Weak, so a subscriber alone never keeps a log from being forgotten
    /// once it is idle (its registration does that while it lives).
    log: Weak<UserLog>,
    id: u64,
}

impl Queue {
    /// The next frame; `None` once the queue is dropped by the log (for
    /// overflow, see [`Self::overflowed`]) or the log is gone, and empty.
    pub(crate) async fn recv(&mut self) -> Option<Frame> {
        poll_fn(|cx| self.rx.poll_recv(cx)).await
    }

    /// Appends up to `limit` frames to `buf`, waiting for at least one;
    /// returns how many (0 when [`Self::recv`] would give `None`).
    /// Cancel-safe.
    pub(crate) async fn recv_many(&mut self, buf: &mut VecDeque<Frame>, limit: usize) -> usize {
        poll_fn(|cx| self.rx.poll_recv_many(cx, buf, limit)).await
    }

    /// [`Self::recv_many`] as a poll.
    pub(crate) fn poll_recv_many(
        &mut self,
        cx: &mut std::task::Context<'_>,
        buf: &mut VecDeque<Frame>,
        limit: usize,
    ) -> std::task::Poll<usize> {
        self.rx.poll_recv_many(cx, buf, limit)
    }

    /// A frame if one is waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Frame> {
        self.rx.try_recv()
    }

    /// Whether the log dropped this queue for falling behind.
    pub(crate) fn overflowed(&self) -> bool {
        self.rx.overflowed()
    }

    /// Whether the log dropped this queue because the stream it followed
    /// was lost: its `seq`s go on under a new epoch the subscriber never
    /// saw the start of.
    pub(crate) fn reset(&self) -> bool {
        self.rx.reset()
    }

    /// Frames waiting.
    pub(crate) fn len(&self) -> usize {
        self.rx.len()
    }

    /// Hands this subscriber each event after the log's others (see
    /// [`UserLog::focus`]).
    pub(crate) fn focus(&self) {
        if let Some(log) = self.log.upgrade() {
            log.focus(self.id);
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        if let Some(log) = self.log.upgrade() {
            log.unsubscribe(self.id);
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
    /// dropped rather than slowing the emitter. Subscribe again: with
    /// [`UserWebSocketManager::subscribe_after`](crate::UserWebSocketManager::subscribe_after)
    /// and the last `seq` received, to get everything since if it is all
    /// still buffered ([`Subscription::recovered`] says).
    #[error("the subscriber fell behind and was dropped; subscribe again to catch up")]
    Lagged,
    /// The user's stream was lost (its shared backend lost it, or events
    /// could not be kept while the backend was unreachable) and goes on
    /// under a new [`epoch`](crate::UserWebSocketManager::epoch): the
    /// events before this point are complete, what follows cannot be
    /// joined to them. Reload the current state and subscribe again.
    #[error("the user's event stream was lost and started again; reload and subscribe again")]
    Reset,
    /// The hub that fed this subscription is gone.
    #[error("the hub was dropped")]
    Closed,
}

/// An in-process feed of one user's events, in `seq` order.
///
/// Obtained from a [`UserWebSocketManager`](crate::UserWebSocketManager);
/// it sees exactly the events of the manager's user, like each of that
/// user's browser tabs. Dropping it unsubscribes at once.
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
    recovered: bool,
    missed: u64,
    queue: Queue,
}

impl Subscription {
    pub(crate) fn new(attached: Attached) -> Self {
        let (recovered, missed) = match attached.recovery {
            None => (true, 0),
            Some(Recovery {
                recovered: true, ..
            }) => (true, 0),
            Some(Recovery {
                recovered: false,
                missed,
            }) => (false, missed.unwrap_or(0)),
        };
        Subscription {
            replay: attached.replay,
            recovered,
            missed,
            queue: attached.queue,
        }
    }

    /// The next event. Never blocks an emitter: if this subscription falls
    /// more than its capacity behind it ends with [`RecvError::Lagged`].
    pub async fn recv(&mut self) -> Result<WireEvent, RecvError> {
        if let Some(frame) = self.replay.pop_front() {
            return Ok(WireEvent(frame));
        }
        match self.queue.recv().await {
            Some(frame) => Ok(WireEvent(frame)),
            None if self.queue.overflowed() => Err(RecvError::Lagged),
            None if self.queue.reset() => Err(RecvError::Reset),
            None => Err(RecvError::Closed),
        }
    }

    /// Whether this subscription delivers every event after the `seq` it
    /// was asked to start after (always true for
    /// [`subscribe`](crate::UserWebSocketManager::subscribe)). When false it
    /// delivers none of them, only the events from its start on: some were
    /// no longer buffered, or the `seq` was ahead of the user's latest.
    ///
    /// ```
    /// use agentwire::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let hub = Hub::builder().replay_capacity(2).build()?;
    /// let ctx = UserExecutionContext::new(UserId::new("alice")?, ThreadId::new("t1")?);
    /// let manager = hub.factory().create_manager(&ctx).await?;
    /// let run = emit!(manager.bridge(), agent_started { agent_name: "a" });
    /// emit!(run, agent_thinking { reasoning: "1" });
    /// emit!(run, agent_thinking { reasoning: "2" });
    /// // Only events 2 and 3 are buffered.
    /// assert!(manager.subscribe_after(1).recovered());
    /// let events = manager.subscribe_after(0);
    /// assert!(!events.recovered());
    /// assert_eq!(events.missed(), 3);
    /// # Ok(()) }
    /// ```
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    /// How many events after the requested `seq` this subscription does not
    /// deliver: 0 when it [`recovered`](Self::recovered); otherwise every
    /// event from that `seq` to its start (0 if the `seq` was ahead of the
    /// user's latest, when how many is unknown).
    ///
    /// ```
    /// # async fn demo(manager: agentwire::UserWebSocketManager, last_seen: u64) {
    /// let events = manager.subscribe_after(last_seen);
    /// if !events.recovered() {
    ///     println!("{} events were lost; reload the current state", events.missed());
    /// }
    /// # }
    /// ```
    pub fn missed(&self) -> u64 {
        self.missed
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("buffered", &(self.replay.len() + self.queue.len()))
            .field("recovered", &self.recovered)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(replay_events: usize, replay_bytes: usize) -> Arc<UserLog> {
        Arc::new(UserLog::new(
            UserId::new("u").unwrap(),
            LogLimits {
                replay_events,
                replay_bytes,
                max_event_size: 1 << 20,
                run_budget: None,
            },
        ))
    }

    fn log(cap: usize) -> Arc<UserLog> {
        log_with(cap, usize::MAX)
    }

    fn q(events: usize) -> QueueLimit {
        QueueLimit {
            events,
            bytes: usize::MAX,
        }
    }

    fn at(since: u64, epoch: Option<&str>) -> Option<Resume<'_>> {
        Some(Resume { since, epoch })
    }

    fn seqs(frames: &VecDeque<Frame>) -> Vec<u64> {
        frames.iter().map(|f| f.seq).collect()
    }

    fn emit(log: &UserLog, n: usize) {
        for _ in 0..n {
            log.append("x", b"}", 0);
        }
    }

    /// A frame of exactly `len` bytes (for `seq` < 10).
    fn emit_sized(log: &UserLog, len: usize) {
        let head = r#"{"type":"x","seq":1"#.len();
        let mut tail = vec![b' '; len - head - 1];
        tail.push(b'}');
        log.append("x", &tail, 0);
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

    #[test]
    fn every_log_has_its_own_epoch() {
        let (a, b) = (log(4), log(4));
        assert_ne!(a.epoch(), b.epoch());
        let attached = a.attach(None, q(1));
        assert_eq!(attached.epoch, a.epoch());
        assert_eq!(attached.recovery, None);
    }

    #[test]
    fn an_exact_resume_replays_everything_after_since_and_then_goes_live() {
        let log = log(8);
        emit(&log, 5);
        let epoch = log.epoch().to_owned();
        let mut attached = log.attach(at(3, Some(&epoch)), q(16));
        let recovery = Recovery {
            recovered: true,
            missed: Some(2),
        };
        assert_eq!(attached.recovery, Some(recovery));
        assert_eq!((seqs(&attached.replay), attached.seq), (vec![4, 5], 5));
        emit(&log, 1);
        assert_eq!(attached.queue.try_recv().map(|f| f.seq), Some(6));
        assert!(attached.queue.try_recv().is_none());

        // Up to date, and the oldest buffered.
        let attached = log.attach(at(6, Some(&epoch)), q(16));
        assert_eq!(attached.recovery.map(|r| r.missed), Some(Some(0)));
        assert!(attached.replay.is_empty());
        let attached = log.attach(at(0, None), q(16));
        assert_eq!(seqs(&attached.replay), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_gap_wider_than_the_buffer_replays_nothing_and_says_how_much() {
        let log = log(3);
        emit(&log, 5);
        for since in [0, 1] {
            let attached = log.attach(at(since, Some(&log.epoch())), q(16));
            let recovery = Recovery {
                recovered: false,
                missed: Some(5 - since),
            };
            assert_eq!(attached.recovery, Some(recovery));
            assert!(attached.replay.is_empty(), "no partial replay");
        }
        let attached = log.attach(at(2, None), q(16));
        assert_eq!(attached.recovery.map(|r| r.recovered), Some(true));
        assert_eq!(seqs(&attached.replay), [3, 4, 5]);
    }

    #[test]
    fn a_stale_epoch_is_never_recovered() {
        let old = log(8);
        emit(&old, 3);
        let restarted = log(8);
        emit(&restarted, 5);
        let attached = restarted.attach(at(3, Some(&old.epoch())), q(16));
        let recovery = Recovery {
            recovered: false,
            missed: None,
        };
        assert_eq!(attached.recovery, Some(recovery));
        assert!(attached.replay.is_empty());
        assert_eq!(attached.seq, 5);
    }

    #[test]
    fn since_ahead_of_the_stream_is_not_recovered() {
        let log = log(8);
        emit(&log, 3);
        for since in [4, 1_000, u64::MAX - 1, u64::MAX] {
            let attached = log.attach(at(since, Some(&log.epoch())), q(16));
            let recovery = Recovery {
                recovered: false,
                missed: None,
            };
            assert_eq!(attached.recovery, Some(recovery), "since {since}");
            assert!(attached.replay.is_empty());
        }
        let empty = self::log(0);
        let attached = empty.attach(at(u64::MAX, None), q(1));
        assert_eq!(attached.recovery.map(|r| r.recovered), Some(false));
    }

    #[test]
    fn with_no_buffer_only_an_up_to_date_resume_recovers() {
        let log = log(0);
        emit(&log, 3);
        let attached = log.attach(at(3, None), q(1));
        assert_eq!(attached.recovery.map(|r| r.recovered), Some(true));
        let attached = log.attach(at(2, None), q(1));
        let recovery = Recovery {
            recovered: false,
            missed: Some(1),
        };
        assert_eq!(attached.recovery, Some(recovery));
    }

    #[test]
    fn the_replay_buffer_is_bounded_by_bytes_too() {
        let log = log_with(100, 300);
        for _ in 0..5 {
            emit_sized(&log, 100);
        }
        let resume = |since| log.attach(at(since, None), q(16));
        assert_eq!(seqs(&resume(2).replay), [3, 4, 5]);
        assert_eq!(resume(1).recovery.map(|r| r.recovered), Some(false));
        // One large frame pushes out several small ones.
        emit_sized(&log, 250);
        assert_eq!(seqs(&resume(5).replay), [6]);
        assert_eq!(log.lock().replay_bytes, 250);
        // A frame over the whole bound is not kept at all.
        emit_sized(&log, 301);
        assert!(log.lock().replay.is_empty());
        assert_eq!(log.lock().replay_bytes, 0);
    }

    #[tokio::test]
    async fn a_full_subscriber_is_dropped_not_waited_for() {
        let log = log(0);
        let mut slow = Subscription::new(log.attach(None, q(2)));
        let mut fast = Subscription::new(log.attach(None, q(100)));
        emit(&log, 10);
        assert_eq!(slow.recv().await.unwrap().seq(), 1);
        assert_eq!(slow.recv().await.unwrap().seq(), 2);
        assert_eq!(slow.recv().await.unwrap_err(), RecvError::Lagged);
        for i in 1..=10 {
            assert_eq!(fast.recv().await.unwrap().seq(), i);
        }
    }

    #[tokio::test]
    async fn a_subscriber_over_its_byte_bound_is_dropped() {
        let log = log(0);
        let limit = QueueLimit {
            events: 100,
            bytes: 300,
        };
        let mut slow = log.attach(None, limit);
        let mut fast = log.attach(None, q(100));
        let mut reader = log.attach(None, limit);
        let mut batch = VecDeque::new();
        for i in 0..9 {
            emit_sized(&log, 100);
            // Reading frees the bytes: `reader` takes 900 bytes through a
            // 300-byte queue, in all three ways.
            match i % 3 {
                0 => assert!(reader.queue.recv().await.is_some()),
                1 => assert!(reader.queue.try_recv().is_some()),
                _ => assert_eq!(reader.queue.recv_many(&mut batch, 8).await, 1),
            }
        }
        assert!(!reader.queue.overflowed());
        assert_eq!(reader.queue.rx.bytes(), 0);
        assert!(slow.queue.overflowed());
        assert_eq!(log.subscriber_count(), 2);
        let mut got = Vec::new();
        while let Some(frame) = slow.queue.recv().await {
            got.push(frame.seq);
        }
        assert_eq!(got, [1, 2, 3], "what fit, then the end");
        let n = fast.queue.recv_many(&mut batch, 100).await;
        assert_eq!((n, fast.queue.overflowed()), (9, false));
    }

    #[test]
    fn a_dropped_queue_unsubscribes_at_once() {
        let log = log(4);
        for i in 0..10_000 {
            let attached = log.attach(at(i % 3, None), q(4));
            assert_eq!(log.subscriber_count(), 1);
            drop(attached);
        }
        assert_eq!(log.subscriber_count(), 0);
        assert!(log.lock().subscribers.capacity() < 16);
        // Subscribers never hold the log: only the hub's reference is left.
        let attached = log.attach(None, q(4));
        assert_eq!(Arc::strong_count(&log), 1);
        assert!(!log.is_idle(u64::MAX, 0), "a live subscriber keeps it");
        drop(attached);
        assert!(log.is_idle(u64::MAX, 0));
    }

    #[test]
    fn a_queue_outliving_its_log_drops_quietly() {
        let log = log(4);
        let mut attached = log.attach(None, q(4));
        emit(&log, 1);
        drop(log);
        assert_eq!(attached.queue.try_recv().map(|f| f.seq), Some(1));
        assert!(attached.queue.try_recv().is_none());
        assert!(!attached.queue.overflowed());
    }

    #[tokio::test]
    async fn subscriptions_resume_all_or_nothing() {
        let log = log(3);
        emit(&log, 5);
        let live = Subscription::new(log.attach(None, q(4)));
        assert!(live.recovered() && live.missed() == 0);
        let mut recent = Subscription::new(log.attach(at(2, None), q(4)));
        assert!(recent.recovered() && recent.missed() == 0);
        assert_eq!(recent.recv().await.unwrap().seq(), 3);
        let lost = Subscription::new(log.attach(at(0, None), q(4)));
        assert!(!lost.recovered());
        assert_eq!((lost.missed(), lost.replay.len()), (5, 0));
        let ahead = Subscription::new(log.attach(at(9, None), q(4)));
        assert!(!ahead.recovered());
        assert_eq!(ahead.missed(), 0);
    }

    /// The reconnect protocol against a model: a client that remembers the
    /// epoch and the last `seq` it received either gets told to reload or
    /// ends up with exactly the stream's events since its last reload.
    mod reconnect {
        use super::*;
        use crate::Hub;
        use proptest::prelude::*;

        const MAX_EVENT: usize = 4096;
        const MAX_PAD: usize = 1500;

        #[derive(Clone, Debug)]
        enum EpochChoice {
            Absent,
            Current,
            Previous,
            Bogus,
        }

        #[derive(Clone, Debug)]
        enum Op {
            Emit(usize),
            Read,
            Disconnect,
            /// With what the client has, or afresh if it has nothing.
            Reconnect,
            ResumeAt(u64, EpochChoice),
            /// A new server: a new log.
            Restart,
            /// The hub forgets the log if nothing holds it.
            Forget,
        }

        fn op() -> impl Strategy<Value = Op> {
            let epoch = prop_oneof![
                Just(EpochChoice::Absent),
                Just(EpochChoice::Current),
                Just(EpochChoice::Previous),
                Just(EpochChoice::Bogus),
            ];
            let since = prop_oneof![9 => 0..40u64, 1 => Just(u64::MAX)];
            prop_oneof![
                8 => (0..MAX_PAD).prop_map(Op::Emit),
                4 => Just(Op::Read),
                2 => Just(Op::Disconnect),
                3 => Just(Op::Reconnect),
                2 => (since, epoch).prop_map(|(s, e)| Op::ResumeAt(s, e)),
                1 => Just(Op::Restart),
                1 => Just(Op::Forget),
            ]
        }

        /// One stream as the model knows it.
        struct Stream {
            epoch: Arc<str>,
            texts: Vec<String>,
        }

        struct Server {
            hub: Hub,
            log: Arc<UserLog>,
            replay_events: usize,
            streams: Vec<Stream>,
            emitted: u64,
        }

        impl Stream {
            fn of(log: &UserLog) -> Self {
                Stream {
                    epoch: log.epoch(),
                    texts: Vec::new(),
                }
            }
        }

        fn boot(replay_events: usize) -> (Hub, Arc<UserLog>) {
            let hub = Hub::builder()
                .replay_capacity(replay_events)
                .replay_bytes(MAX_EVENT)
                .max_event_size(MAX_EVENT)
                .idle_retention(std::time::Duration::ZERO)
                .build()
                .unwrap();
            let log = hub.inner.user_log(&UserId::new("u").unwrap());
            (hub, log)
        }

        impl Server {
            fn start(replay_events: usize) -> Self {
                let (hub, log) = boot(replay_events);
                Server {
                    streams: vec![Stream::of(&log)],
                    hub,
                    log,
                    replay_events,
                    emitted: 0,
                }
            }

            fn restart(&mut self) {
                (self.hub, self.log) = boot(self.replay_events);
                self.streams.push(Stream::of(&self.log));
            }

            fn current(&self) -> &Stream {
                &self.streams[self.streams.len() - 1]
            }

            /// The first `seq` still buffered: the longest run of the
            /// latest events within both bounds.
            fn window_start(&self) -> u64 {
                let texts = &self.current().texts;
                let (mut start, mut bytes) = (texts.len(), 0);
                while start > 0
                    && texts.len() - start < self.replay_events
                    && bytes + texts[start - 1].len() <= MAX_EVENT
                {
                    bytes += texts[start - 1].len();
                    start -= 1;
                }
                start as u64 + 1
            }
        }

        struct Conn {
            attached: Attached,
            /// Events and bytes in the queue, to foresee an overflow.
            queued: (usize, usize),
            overflowed: bool,
        }

        /// What the client shows: the events of `stream` after `base`.
        struct Shown {
            stream: usize,
            epoch: Arc<str>,
            base: u64,
            received: Vec<String>,
        }

        struct Client {
            limit: QueueLimit,
            conn: Option<Conn>,
            shown: Option<Shown>,
        }

        impl Client {
            fn last_seen(&self) -> Option<(u64, Arc<str>)> {
                let s = self.shown.as_ref()?;
                Some((s.base + s.received.len() as u64, s.epoch.clone()))
            }

            fn connect(&mut self, server: &Server, resume: Option<(u64, Option<&str>)>) {
                self.conn = None;
                let attached = server.log.attach(
                    resume.map(|(since, epoch)| Resume { since, epoch }),
                    self.limit,
                );
                let stream = server.streams.len() - 1;
                let last = server.current().texts.len() as u64;
                assert_eq!((&attached.epoch, attached.seq), (&server.log.epoch(), last));
                let reload = match (resume, attached.recovery) {
                    (None, None) => true,
                    (Some((since, epoch)), Some(recovery)) => {
                        let same = epoch.is_none_or(|e| e == &*server.log.epoch());
                        let known = same && since <= last;
                        let recovered =
                            known && (since == last || since + 1 >= server.window_start());
                        let missed = known.then(|| last - since);
                        assert_eq!(recovery, Recovery { recovered, missed });
                        if recovered {
                            let want = &server.current().texts[since as usize..];
                            let got: Vec<&str> =
                                attached.replay.iter().map(|f| f.text.as_str()).collect();
                            assert_eq!(got, want);
                            let seen = self
                                .shown
                                .as_ref()
                                .map(|s| (s.stream, s.base + s.received.len() as u64));
                            if seen != Some((stream, since)) {
                                // Resumed at a point it never saw: it now
                                // shows the stream from there.
                                self.shown = Some(Shown {
                                    stream,
                                    epoch: attached.epoch.clone(),
                                    base: since,
                                    received: Vec::new(),
                                });
                            }
                        } else {
                            assert!(attached.replay.is_empty(), "no partial replay");
                        }
                        !recovered
                    }
                    (resume, recovery) => panic!("{resume:?} answered with {recovery:?}"),
                };
                if reload {
                    self.shown = Some(Shown {
                        stream,
                        epoch: attached.epoch.clone(),
                        base: last,
                        received: Vec::new(),
                    });
                }
                self.conn = Some(Conn {
                    attached,
                    queued: (0, 0),
                    overflowed: false,
                });
            }

            fn on_emit(&mut self, len: usize) {
                if let Some(conn) = self.conn.as_mut().filter(|c| !c.overflowed) {
                    let (events, bytes) = conn.queued;
                    if events + 1 > self.limit.events || bytes + len > self.limit.bytes {
                        conn.overflowed = true;
                    } else {
                        conn.queued = (events + 1, bytes + len);
                    }
                }
            }

            fn read(&mut self) {
                let Some(conn) = self.conn.as_mut() else {
                    return;
                };
                let Some(shown) = self.shown.as_mut() else {
                    panic!("connected without a state");
                };
                let replay = conn.attached.replay.drain(..);
                let queue = &mut conn.attached.queue;
                for frame in replay.chain(std::iter::from_fn(|| queue.try_recv())) {
                    assert_eq!(frame.seq, shown.base + shown.received.len() as u64 + 1);
                    shown.received.push(frame.text.as_str().to_owned());
                }
                conn.queued = (0, 0);
                let bytes = conn.attached.queue.rx.bytes();
                assert!(conn.overflowed || bytes == 0, "{bytes} bytes left");
                assert_eq!(conn.attached.queue.overflowed(), conn.overflowed);
                if conn.overflowed {
                    self.conn = None;
                }
            }

            /// What it shows is the stream's events since its last reload,
            /// each once and in order; all of them once read while live.
            fn check(&self, server: &Server) {
                let live = self.conn.as_ref().is_some_and(|c| !c.overflowed);
                assert_eq!(server.log.subscriber_count(), usize::from(live));
                let Some(shown) = &self.shown else {
                    return;
                };
                let texts = &server.streams[shown.stream].texts;
                let from = shown.base as usize;
                let upto = from + shown.received.len();
                assert!(upto <= texts.len());
                assert_eq!(shown.received, texts[from..upto]);
            }
        }

        fn run(replay_events: usize, limit: QueueLimit, ops: Vec<Op>) {
            let mut server = Server::start(replay_events);
            let mut client = Client {
                limit,
                conn: None,
                shown: None,
            };
            for op in ops {
                match op {
                    Op::Emit(pad) => {
                        server.emitted += 1;
                        let tail = format!(
                            ",\"n\":{},\"pad\":\"{}\"}}",
                            server.emitted,
                            "p".repeat(pad)
                        );
                        let seq = server.log.append("x", tail.as_bytes(), 0);
                        let text = format!(r#"{{"type":"x","seq":{seq}{tail}"#);
                        client.on_emit(text.len());
                        let streams = server.streams.len();
                        server.streams[streams - 1].texts.push(text);
                        assert_eq!(seq, server.current().texts.len() as u64);
                    }
                    Op::Read => {
                        client.read();
                        if let Some(conn) = client.conn.as_ref() {
                            let shown = client.shown.as_ref().unwrap();
                            assert_eq!(
                                shown.base + shown.received.len() as u64,
                                server.current().texts.len() as u64,
                                "a live client has everything once it has read"
                            );
                            assert!(!conn.overflowed);
                        }
                    }
                    Op::Disconnect => client.conn = None,
                    Op::Reconnect => match client.last_seen() {
                        Some((since, epoch)) => {
                            client.connect(&server, Some((since, Some(&epoch))))
                        }
                        None => client.connect(&server, None),
                    },
                    Op::ResumeAt(since, choice) => {
                        let previous = server
                            .streams
                            .len()
                            .checked_sub(2)
                            .map(|i| server.streams[i].epoch.clone());
                        let epoch = match choice {
                            EpochChoice::Absent => None,
                            EpochChoice::Current => Some(server.log.epoch()),
                            EpochChoice::Previous => previous,
                            EpochChoice::Bogus => Some(Arc::from("epoch_bogus")),
                        };
                        client.connect(&server, Some((since, epoch.as_deref())));
                    }
                    Op::Restart => {
                        // The server's sockets close with it.
                        client.conn = None;
                        server.restart();
                    }
                    Op::Forget => {
                        let user = server.log.user().clone();
                        let before = server.log.epoch();
                        // Lets go of the log: only the hub and the client hold it.
                        server.log = Arc::new(UserLog::new(user.clone(), *server.log.limits()));
                        server.hub.forget_idle_users();
                        server.log = server.hub.inner.user_log(&user);
                        let forgotten = server.log.epoch() != before;
                        let live = client.conn.as_ref().is_some_and(|c| !c.overflowed);
                        assert_eq!(forgotten, !live, "only a log nobody holds is forgotten");
                        if forgotten {
                            server.streams.push(Stream::of(&server.log));
                        }
                    }
                }
                client.check(&server);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            #[test]
            fn reconnecting_never_shows_a_gap_or_a_repeat(
                replay_events in 0..8usize,
                events in 1..6usize,
                bytes in 1600..5000usize,
                ops in proptest::collection::vec(op(), 1..60),
            ) {
                run(replay_events, QueueLimit { events, bytes }, ops);
            }
        }
    }
}
