//! The Redis backend: one user's stream shared by every node on one Redis.
//!
//! Per user there are three names, all with the user's id as hash tag so
//! that Redis Cluster keeps them in one slot:
//!
//! | name | what |
//! |---|---|
//! | `{prefix}:{<user>}:meta` | hash: `epoch`, `seq` (the last assigned), `w:<node>` (the last batch each node wrote) |
//! | `{prefix}:{<user>}:log` | stream: entry `<seq>-0` with fields `t` (event type) and `b` (the envelope after `seq`), trimmed to the replay window |
//! | `{prefix}:{<user>}:ch` | pub/sub channel: `<epoch> <seq> <type> <envelope after seq>` per event |
//!
//! Emitting hands the event to the user's writer task on this node (never
//! blocking the agent); the task appends its batch with one script
//! ([`APPEND`]) that assigns `seq`, adds the entries, publishes them and
//! refreshes the keys' TTL, atomically. A node that has subscribers for
//! the user follows the channel into its local [`UserLog`], which keeps
//! the replay window and fans out to the subscribers; a gap in `seq` (a
//! lost message, a reconnect) is filled from the stream ([`READ`]) before
//! anything after it is delivered. When it cannot be filled, or the
//! stream turns out to be another (a new epoch), the subscribers are
//! dropped as reset and told so.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{ProtocolVersion, PushInfo, PushKind, Script, Value};
use tokio::sync::{oneshot, Notify};

use super::{Frame, LogBackend, SyncGuard, UserLog};
use crate::{wire, Error, UserId};

/// Appends a batch of events to a user's stream, atomically.
///
/// KEYS: meta, log. ARGV: node, batch number, a fresh epoch, reset (`1`
/// starts a new stream), the stream's MAXLEN, the TTL in ms, the channel,
/// then `type`, `tail` per event. A batch this node already wrote (a retry
/// after a lost reply) is not written twice. Returns `{epoch, last seq}`.
const APPEND: &str = r"
local meta, log = KEYS[1], KEYS[2]
local node, batch, reset = ARGV[1], tonumber(ARGV[2]), ARGV[4]
local epoch = redis.call('HGET', meta, 'epoch')
if epoch then
  local done = redis.call('HGET', meta, 'w:' .. node)
  if done and tonumber(done) >= batch then
    return {epoch, -1}
  end
end
if (not epoch) or reset == '1' then
  epoch = ARGV[3]
  redis.call('DEL', meta, log)
  redis.call('HSET', meta, 'epoch', epoch, 'seq', 0)
end
local seq = tonumber(redis.call('HGET', meta, 'seq'))
for i = 8, #ARGV, 2 do
  seq = seq + 1
  local id = string.format('%d-0', seq)
  redis.call('XADD', log, 'MAXLEN', ARGV[5], id, 't', ARGV[i], 'b', ARGV[i + 1])
  redis.call('PUBLISH', ARGV[7], epoch .. ' ' .. string.format('%d', seq) .. ' ' .. ARGV[i] .. ' ' .. ARGV[i + 1])
end
redis.call('HSET', meta, 'seq', string.format('%d', seq), 'w:' .. node, ARGV[2])
redis.call('PEXPIRE', meta, ARGV[6])
redis.call('PEXPIRE', log, ARGV[6])
return {epoch, seq}
";

/// Reads a user's stream: its epoch (created if there is none, so that
/// what a client is told is the stream later emits go to), its last `seq`,
/// and entries: the newest `count` when `from` is empty, else `count` from
/// `seq` `from` on. Refreshes the TTL.
///
/// KEYS: meta, log. ARGV: a fresh epoch, TTL in ms, from, count.
const READ: &str = r"
local meta, log = KEYS[1], KEYS[2]
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', log)
  redis.call('HSET', meta, 'epoch', epoch, 'seq', 0)
end
local seq = redis.call('HGET', meta, 'seq')
redis.call('PEXPIRE', meta, ARGV[2])
redis.call('PEXPIRE', log, ARGV[2])
local entries
if ARGV[3] == '' then
  entries = redis.call('XREVRANGE', log, '+', '-', 'COUNT', ARGV[4])
else
  entries = redis.call('XRANGE', log, ARGV[3], '+', 'COUNT', ARGV[4])
end
return {epoch, seq, entries}
";

/// How long an attach waits for Redis before the connection is refused.
const SYNC_TIMEOUT: Duration = Duration::from_secs(5);
/// Events (and at most this many bytes) written by one script call.
const BATCH_EVENTS: usize = 256;
const BATCH_BYTES: usize = 1 << 20;
/// Pub/sub messages waiting for a user's task; past that they are dropped
/// and the task fills the gap from the stream.
const INBOX_CAPACITY: usize = 4096;
/// Waits between retries while Redis is unreachable.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The Redis settings of a hub.
#[derive(Clone, Debug)]
pub(crate) struct RedisConfig {
    pub(crate) url: String,
    pub(crate) key_prefix: String,
    /// How long an idle user's keys live; refreshed by every write, by
    /// every attach, and periodically while a node follows the user.
    pub(crate) key_ttl: Duration,
    /// Events a user's writer keeps on this node while Redis is unreachable.
    pub(crate) buffer_events: usize,
    pub(crate) buffer_bytes: usize,
    /// The stream's length: the hub's replay window in events.
    pub(crate) maxlen: usize,
}

impl RedisConfig {
    pub(crate) fn new(url: String) -> Self {
        RedisConfig {
            url,
            key_prefix: "agentwire".to_owned(),
            key_ttl: Duration::from_secs(3600),
            buffer_events: 1024,
            buffer_bytes: 8 << 20,
            maxlen: 256,
        }
    }
}

/// Who gets a channel's messages on this node.
#[derive(Default)]
struct Routes {
    followers: Mutex<HashMap<Vec<u8>, Weak<RedisStream>>>,
    /// The subscription connection was lost: resubscribe, then resync.
    disconnected: Notify,
    closed: AtomicBool,
}

impl Routes {
    fn followers(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Weak<RedisStream>>> {
        self.followers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, info: PushInfo) {
        match info.kind {
            PushKind::Message => {
                let mut data = info.data.into_iter();
                let (Some(Value::BulkString(channel)), Some(Value::BulkString(payload))) =
                    (data.next(), data.next())
                else {
                    return;
                };
                let stream = self.followers().get(&channel).and_then(Weak::upgrade);
                if let Some(stream) = stream {
                    stream.received(payload);
                }
            }
            PushKind::Disconnection => self.disconnected.notify_one(),
            _ => {}
        }
    }
}

/// A hub's connection to Redis: one multiplexed connection for scripts,
/// one for pub/sub, both reconnecting on their own.
pub(crate) struct RedisLink {
    config: RedisConfig,
    /// Names this node in the streams' `w:<node>` fields.
    node: Arc<str>,
    cmd: ConnectionManager,
    sub: ConnectionManager,
    routes: Arc<Routes>,
    append: Script,
    read: Script,
    /// Batch numbers, increasing across every user's writer on this node.
    next_batch: AtomicU64,
    /// Held while a route and its subscription change together, so that a
    /// log's old task never unsubscribes its successor.
    subscribing: tokio::sync::Mutex<()>,
    runtime: tokio::runtime::Handle,
}

impl RedisLink {
    /// Connects lazily: a hub built while Redis is down starts, buffers
    /// what it emits, and catches up when Redis is there.
    pub(crate) fn connect(config: RedisConfig) -> Result<Arc<Self>, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::config("a hub with a Redis backend must be built inside a tokio runtime")
        })?;
        let bad = |e: ::redis::RedisError| Error::config(format!("redis: {e}"));
        let client = ::redis::Client::open(config.url.as_str()).map_err(bad)?;
        let info = client.get_connection_info().clone();
        let resp3 = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let sub_client = ::redis::Client::open(info.set_redis_settings(resp3)).map_err(bad)?;
        let base = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let routes = Arc::new(Routes::default());
        let pushed = routes.clone();
        let sub_config = base.clone().set_push_sender(move |info: PushInfo| {
            pushed.push(info);
            Ok::<(), ::redis::aio::SendError>(())
        });
        let (cmd, sub) = {
            let _entered = runtime.enter();
            (
                ConnectionManager::new_lazy_with_config(client, base).map_err(bad)?,
                ConnectionManager::new_lazy_with_config(sub_client, sub_config).map_err(bad)?,
            )
        };
        let link = Arc::new(RedisLink {
            config,
            node: crate::id::fresh("node"),
            cmd,
            sub,
            routes,
            append: Script::new(APPEND),
            read: Script::new(READ),
            next_batch: AtomicU64::new(1),
            subscribing: tokio::sync::Mutex::new(()),
            runtime,
        });
        link.runtime
            .spawn(resubscribe(Arc::downgrade(&link), link.routes.clone()));
        Ok(link)
    }

    /// The backend of one user's log on this node; [`start`] it once the
    /// log is made.
    pub(crate) fn stream(self: &Arc<Self>, user: &UserId) -> Arc<RedisStream> {
        let tag = hash_tag(user.as_str());
        let prefix = &self.config.key_prefix;
        Arc::new(RedisStream {
            link: self.clone(),
            meta: format!("{prefix}:{{{tag}}}:meta"),
            stream: format!("{prefix}:{{{tag}}}:log"),
            channel: format!("{prefix}:{{{tag}}}:ch"),
            outbox: Mutex::new(Outbox::default()),
            inbox: Mutex::new(Inbox::default()),
            wake: Notify::new(),
            attaching: Arc::new(AtomicUsize::new(0)),
            running: AtomicBool::new(false),
        })
    }
}

impl Drop for RedisLink {
    fn drop(&mut self) {
        self.routes.closed.store(true, Ordering::Release);
        self.routes.disconnected.notify_one();
    }
}

/// After the subscription connection is lost: subscribes again to every
/// followed channel, then has each follower fill what it missed.
async fn resubscribe(link: Weak<RedisLink>, routes: Arc<Routes>) {
    loop {
        routes.disconnected.notified().await;
        let mut backoff = BACKOFF_MIN;
        loop {
            if routes.closed.load(Ordering::Acquire) {
                return;
            }
            let Some(link) = link.upgrade() else {
                return;
            };
            let channels: Vec<Vec<u8>> = routes.followers().keys().cloned().collect();
            if channels.is_empty() {
                break;
            }
            let mut sub = link.sub.clone();
            drop(link);
            if sub.subscribe(&channels).await.is_ok() {
                let followers: Vec<_> = routes.followers().values().cloned().collect();
                for stream in followers.iter().filter_map(Weak::upgrade) {
                    stream.resync();
                }
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }
}

/// The user id inside `{..}`: `%`, `{` and `}` percent-encoded, so the tag
/// is the whole id and ids cannot collide.
fn hash_tag(user: &str) -> String {
    let mut tag = String::with_capacity(user.len());
    for c in user.chars() {
        match c {
            '%' => tag.push_str("%25"),
            '{' => tag.push_str("%7B"),
            '}' => tag.push_str("%7D"),
            c => tag.push(c),
        }
    }
    tag
}

enum Item {
    Event {
        event_type: Box<str>,
        tail: Box<[u8]>,
    },
    /// Sync this node's view with the stream, in order with the events
    /// before it; answered when asked by an attach.
    Sync(Option<oneshot::Sender<bool>>),
}

/// What waits to be written, in emit order. Bounded: an event that does
/// not fit makes the writer drop what it holds and start a new stream.
#[derive(Default)]
struct Outbox {
    items: VecDeque<Item>,
    events: usize,
    bytes: usize,
    /// Events were dropped: the next write starts a new epoch.
    lost: bool,
    /// Counts drops, so a write in flight knows its events were dropped.
    generation: u64,
}

#[derive(Default)]
struct Inbox {
    messages: VecDeque<Vec<u8>>,
    /// Messages were dropped, or the connection was lost: fill from the stream.
    resync: bool,
}

/// One user's stream on this node: its writer's buffer, and what the
/// channel delivered, for the user's task.
pub(crate) struct RedisStream {
    link: Arc<RedisLink>,
    meta: String,
    stream: String,
    channel: String,
    outbox: Mutex<Outbox>,
    inbox: Mutex<Inbox>,
    wake: Notify,
    /// Attaches between their sync and their registration: the task keeps
    /// following meanwhile.
    attaching: Arc<AtomicUsize>,
    running: AtomicBool,
}

/// Keeps the user's task following the stream for an attach in progress.
pub(crate) struct Attaching(Arc<AtomicUsize>);

impl Drop for Attaching {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl RedisStream {
    fn outbox(&self) -> MutexGuard<'_, Outbox> {
        self.outbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the user's task on this node; it ends once the log is gone
    /// and everything it emitted is written (or given up with the hub).
    pub(crate) fn start(self: &Arc<Self>, log: &Arc<UserLog>) {
        if !self.running.swap(true, Ordering::AcqRel) {
            let task = Task {
                stream: self.clone(),
                log: Arc::downgrade(log),
                following: false,
                backoff: BACKOFF_MIN,
                inflight: None,
            };
            self.link.runtime.spawn(task.run());
        }
    }

    fn received(&self, payload: Vec<u8>) {
        let mut inbox = self.inbox();
        if inbox.messages.len() < INBOX_CAPACITY {
            inbox.messages.push_back(payload);
        } else {
            inbox.resync = true;
        }
        drop(inbox);
        self.wake.notify_one();
    }

    fn resync(&self) {
        self.inbox().resync = true;
        self.wake.notify_one();
    }

    fn push(&self, item: Item) {
        self.outbox().items.push_back(item);
        self.wake.notify_one();
    }
}

impl LogBackend for RedisStream {
    fn is_local(&self) -> bool {
        false
    }

    fn append(&self, event_type: &str, tail: &[u8]) {
        let config = &self.link.config;
        let size = event_type.len() + tail.len();
        let mut outbox = self.outbox();
        if outbox.events + 1 > config.buffer_events || outbox.bytes + size > config.buffer_bytes {
            // Redis has been unreachable for longer than the buffer holds:
            // what is buffered cannot all be kept, so none of it is, and
            // the stream starts again under a new epoch once Redis is back.
            outbox.items.retain(|i| matches!(i, Item::Sync(_)));
            outbox.events = 0;
            outbox.bytes = 0;
            outbox.lost = true;
            outbox.generation += 1;
            tracing::warn!(
                target: "agentwire::redis",
                channel = %self.channel,
                "Redis unreachable and the user's buffer is full: buffered events dropped, the stream will start a new epoch"
            );
        }
        outbox.items.push_back(Item::Event {
            event_type: event_type.into(),
            tail: tail.into(),
        });
        outbox.events += 1;
        outbox.bytes += size;
        drop(outbox);
        self.wake.notify_one();
    }

    async fn sync(&self, _log: &Arc<UserLog>) -> Result<SyncGuard, Error> {
        self.attaching.fetch_add(1, Ordering::AcqRel);
        let guard = Attaching(self.attaching.clone());
        let (tx, rx) = oneshot::channel();
        self.push(Item::Sync(Some(tx)));
        match tokio::time::timeout(SYNC_TIMEOUT, rx).await {
            Ok(Ok(true)) => Ok(SyncGuard {
                _attaching: Some(guard),
            }),
            _ => Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the user's event stream on Redis could not be read",
            ))),
        }
    }

    fn subscribers_changed(&self, log: &UserLog) {
        if !log.lock().live {
            self.push(Item::Sync(None));
        } else {
            self.wake.notify_one();
        }
    }

    fn is_idle(&self) -> bool {
        self.outbox().items.is_empty()
    }
}

/// A batch being written: retried as is (same number) until it lands.
struct Inflight {
    batch: u64,
    generation: u64,
    events: usize,
    reset: bool,
}

/// The user's task on this node: writes what is emitted here, follows the
/// channel while the user has subscribers here, and syncs for attaches.
struct Task {
    stream: Arc<RedisStream>,
    log: Weak<UserLog>,
    following: bool,
    backoff: Duration,
    inflight: Option<Inflight>,
}

/// What a script read of the stream returned.
struct Read {
    epoch: Arc<str>,
    seq: u64,
    entries: Vec<(u64, Frame)>,
}

impl Task {
    async fn run(mut self) {
        let sync_every = (self.stream.link.config.key_ttl / 3).max(Duration::from_millis(500));
        let mut last_sync = tokio::time::Instant::now();
        loop {
            let log = self.log.upgrade();
            let wanted = self.stream.attaching.load(Ordering::Acquire) > 0
                || log
                    .as_ref()
                    .is_some_and(|l| !l.lock().subscribers.is_empty());
            if self.stream.link.routes.closed.load(Ordering::Acquire) && log.is_none() {
                return;
            }
            let mut progressed = false;
            let mut failed = false;
            if wanted != self.following {
                if wanted {
                    match self.follow().await {
                        Ok(()) => progressed = true,
                        Err(()) => failed = true,
                    }
                } else {
                    self.unfollow(log.as_deref()).await;
                }
            }
            if let (true, Some(log)) = (self.following, log.as_ref()) {
                let (messages, mut resync) = {
                    let mut inbox = self.stream.inbox();
                    (
                        std::mem::take(&mut inbox.messages),
                        std::mem::take(&mut inbox.resync),
                    )
                };
                for message in messages {
                    resync |= !self.ingest(log, &message);
                }
                if resync || last_sync.elapsed() >= sync_every {
                    if self.sync_log(log).await {
                        last_sync = tokio::time::Instant::now();
                    } else {
                        self.stream.inbox().resync = true;
                        failed = true;
                    }
                }
            }
            if !failed {
                match self.step(log.as_ref()).await {
                    Step::Done => progressed = true,
                    Step::Failed => failed = true,
                    Step::Idle => {}
                }
            }
            drop(log);
            if failed {
                tokio::time::sleep(self.backoff).await;
                self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
                continue;
            }
            self.backoff = BACKOFF_MIN;
            if progressed {
                continue;
            }
            if self.log.strong_count() == 0 && self.stream.outbox().items.is_empty() {
                self.unfollow(None).await;
                return;
            }
            let tick = if self.following {
                sync_every.saturating_sub(last_sync.elapsed())
            } else {
                Duration::from_secs(3600)
            };
            tokio::select! {
                _ = self.stream.wake.notified() => {}
                _ = tokio::time::sleep(tick) => {}
            }
        }
    }

    async fn follow(&mut self) -> Result<(), ()> {
        let stream = &self.stream;
        let _subscribing = stream.link.subscribing.lock().await;
        let channel = stream.channel.as_bytes().to_vec();
        stream
            .link
            .routes
            .followers()
            .insert(channel, Arc::downgrade(stream));
        let mut sub = stream.link.sub.clone();
        match sub.subscribe(&stream.channel).await {
            Ok(()) => {
                self.following = true;
                // Whatever came before the subscription is read from the stream.
                stream.inbox().resync = true;
                Ok(())
            }
            Err(e) => {
                tracing::debug!(target: "agentwire::redis", error = %e, "subscribe failed");
                Err(())
            }
        }
    }

    async fn unfollow(&mut self, log: Option<&UserLog>) {
        let stream = &self.stream;
        let _subscribing = stream.link.subscribing.lock().await;
        let ours = {
            let mut followers = stream.link.routes.followers();
            let key = stream.channel.as_bytes();
            let ours = followers
                .get(key)
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(stream)));
            if ours {
                followers.remove(key);
            }
            ours
        };
        if self.following && ours {
            let mut sub = stream.link.sub.clone();
            let _ = sub.unsubscribe(&stream.channel).await;
        }
        self.following = false;
        *stream.inbox() = Inbox::default();
        if let Some(log) = log {
            let mut state = log.lock();
            state.live = false;
            let old = state.reset();
            drop(state);
            drop(old);
        }
    }

    /// Delivers one channel message if it is the next `seq` of the stream
    /// this node follows; false when the node must sync with the stream.
    fn ingest(&self, log: &UserLog, message: &[u8]) -> bool {
        let Some((epoch, seq, event_type, tail)) = parse_message(message) else {
            return true;
        };
        let mut state = log.lock();
        if !state.live {
            return false;
        }
        if *state.epoch != *epoch {
            return false;
        }
        if seq <= state.last_seq {
            return true;
        }
        if seq != state.last_seq + 1 {
            return false;
        }
        let frame = frame(event_type, seq, tail);
        let evicted = state.publish(frame, &log.limits);
        drop(state);
        drop(evicted);
        true
    }

    /// Brings the log up to the stream: fills a gap, or, when the stream
    /// is another or the gap is gone from it, resets the subscribers and
    /// starts over from the stream's window. False when Redis could not
    /// be read.
    async fn sync_log(&mut self, log: &UserLog) -> bool {
        let (live, last, epoch) = {
            let state = log.lock();
            (state.live, state.last_seq, state.epoch.clone())
        };
        let window = log.limits.replay_events.max(1);
        if live {
            let Ok(read) = self.read(Some(last + 1), window).await else {
                return false;
            };
            let mut state = log.lock();
            if *read.epoch == *epoch {
                if read.seq <= last {
                    return true;
                }
                let contiguous = read.entries.len() as u64 == read.seq - last
                    && read
                        .entries
                        .iter()
                        .enumerate()
                        .all(|(i, (seq, _))| *seq == last + 1 + i as u64);
                if contiguous {
                    let mut evicted = Vec::new();
                    for (_, frame) in read.entries {
                        evicted.extend(state.publish(frame, &log.limits));
                    }
                    drop(state);
                    return true;
                }
                tracing::warn!(
                    target: "agentwire::redis",
                    user_id = %log.user,
                    "events this node missed are no longer in the stream: its subscribers are reset"
                );
            } else {
                tracing::warn!(
                    target: "agentwire::redis",
                    user_id = %log.user,
                    "the user's stream was lost and started again: its subscribers are reset"
                );
            }
            let old = state.reset();
            state.live = false;
            drop(state);
            drop(old);
        }
        // Not live: the subscribers there are want what comes from now on,
        // and the newest entries become the replay window.
        let Ok(read) = self.read(None, window).await else {
            return false;
        };
        let mut entries = read.entries;
        entries.reverse();
        let consecutive = entries.last().is_none_or(|(s, _)| *s == read.seq)
            && entries.windows(2).all(|w| w[1].0 == w[0].0 + 1);
        if !consecutive {
            entries.clear();
        }
        let mut state = log.lock();
        let old = std::mem::take(&mut state.replay);
        state.replay_bytes = 0;
        state.epoch = read.epoch;
        state.last_seq = read.seq;
        state.live = true;
        if log.limits.replay_events > 0 {
            for (_, frame) in entries {
                state.replay_bytes += frame.text.len();
                state.replay.push_back(frame);
            }
        }
        while state.replay_bytes > log.limits.replay_bytes {
            let Some(first) = state.replay.pop_front() else {
                break;
            };
            state.replay_bytes -= first.text.len();
        }
        drop(state);
        drop(old);
        true
    }

    async fn read(&self, from: Option<u64>, count: usize) -> Result<Read, ()> {
        let link = &self.stream.link;
        let mut invocation = link.read.prepare_invoke();
        invocation
            .key(&self.stream.meta)
            .key(&self.stream.stream)
            .arg(&*crate::id::fresh("epoch"))
            .arg(link.config.key_ttl.as_millis().max(1) as u64)
            .arg(from.map(|f| f.to_string()).unwrap_or_default())
            .arg(count);
        let mut cmd = link.cmd.clone();
        let value: Value = invocation.invoke_async(&mut cmd).await.map_err(|e| {
            tracing::debug!(target: "agentwire::redis", error = %e, "read failed");
        })?;
        parse_read(value).ok_or(())
    }

    /// Does the next thing in the outbox: writes a batch of events, or
    /// syncs for an attach.
    async fn step(&mut self, log: Option<&Arc<UserLog>>) -> Step {
        enum Next {
            Events(Vec<(Box<str>, Box<[u8]>)>, u64, bool),
            Sync,
        }
        let next = {
            let outbox = self.stream.outbox();
            // A batch that may have landed is retried exactly as it was.
            let retry = self
                .inflight
                .as_ref()
                .filter(|f| f.generation == outbox.generation)
                .map(|f| f.events);
            match outbox.items.front() {
                None => return Step::Idle,
                Some(Item::Sync(_)) => Next::Sync,
                Some(Item::Event { .. }) => {
                    let mut batch = Vec::new();
                    let mut bytes = 0;
                    for item in &outbox.items {
                        let Item::Event { event_type, tail } = item else {
                            break;
                        };
                        let full = match retry {
                            Some(events) => batch.len() == events,
                            None => {
                                batch.len() == BATCH_EVENTS
                                    || (!batch.is_empty() && bytes + tail.len() > BATCH_BYTES)
                            }
                        };
                        if full {
                            break;
                        }
                        bytes += tail.len();
                        batch.push((event_type.clone(), tail.clone()));
                    }
                    Next::Events(batch, outbox.generation, outbox.lost)
                }
            }
        };
        match next {
            Next::Sync => {
                let asked = matches!(
                    self.stream.outbox().items.front(),
                    Some(Item::Sync(Some(_)))
                );
                let ok = match (self.following, log) {
                    (true, Some(log)) => self.sync_log(log).await,
                    // Nobody attaches to a log that is gone, and a
                    // subscriber that left needs no sync.
                    (_, None) => true,
                    (false, Some(_)) => !asked,
                };
                if !ok {
                    return Step::Failed;
                }
                if let Some(Item::Sync(Some(reply))) = self.stream.outbox().items.pop_front() {
                    let _ = reply.send(true);
                }
                Step::Done
            }
            Next::Events(batch, generation, lost) => {
                let inflight = match self.inflight.take() {
                    Some(f) if f.generation == generation && f.events == batch.len() => f,
                    _ => Inflight {
                        batch: self.stream.link.next_batch.fetch_add(1, Ordering::Relaxed),
                        generation,
                        events: batch.len(),
                        reset: lost,
                    },
                };
                match self.write(&batch, &inflight).await {
                    Ok(()) => {
                        let mut outbox = self.stream.outbox();
                        if outbox.generation == inflight.generation {
                            for _ in 0..inflight.events {
                                if let Some(Item::Event { event_type, tail }) =
                                    outbox.items.pop_front()
                                {
                                    outbox.events -= 1;
                                    outbox.bytes -= event_type.len() + tail.len();
                                }
                            }
                            if inflight.reset {
                                outbox.lost = false;
                            }
                        }
                        Step::Done
                    }
                    Err(()) => {
                        self.inflight = Some(inflight);
                        Step::Failed
                    }
                }
            }
        }
    }

    async fn write(&self, batch: &[(Box<str>, Box<[u8]>)], inflight: &Inflight) -> Result<(), ()> {
        let link = &self.stream.link;
        let mut invocation = link.append.prepare_invoke();
        invocation
            .key(&self.stream.meta)
            .key(&self.stream.stream)
            .arg(&*link.node)
            .arg(inflight.batch)
            .arg(&*crate::id::fresh("epoch"))
            .arg(if inflight.reset { "1" } else { "0" })
            .arg(link.config.maxlen)
            .arg(link.config.key_ttl.as_millis().max(1) as u64)
            .arg(&self.stream.channel);
        for (event_type, tail) in batch {
            invocation.arg(&**event_type).arg(&**tail);
        }
        let mut cmd = link.cmd.clone();
        let result: Result<Value, _> = invocation.invoke_async(&mut cmd).await;
        result.map(drop).map_err(|e| {
            tracing::debug!(target: "agentwire::redis", error = %e, "append failed; retrying");
        })
    }
}

enum Step {
    Done,
    Failed,
    Idle,
}

/// The frame of an event from Redis: the envelope's head with `seq`, then
/// the tail as emitted.
fn frame(event_type: &str, seq: u64, tail: &[u8]) -> Frame {
    let mut buf = Vec::with_capacity(wire::head_len(event_type) + tail.len());
    wire::push_frame(&mut buf, event_type, seq, tail);
    Frame {
        seq,
        text: super::utf8(buf),
    }
}

/// `<epoch> <seq> <type> <tail>`
fn parse_message(message: &[u8]) -> Option<(&str, u64, &str, &[u8])> {
    let mut parts = message.splitn(4, |b| *b == b' ');
    let epoch = std::str::from_utf8(parts.next()?).ok()?;
    let seq = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let event_type = std::str::from_utf8(parts.next()?).ok()?;
    let tail = parts.next()?;
    Some((epoch, seq, event_type, tail))
}

fn text(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        v => std::str::from_utf8(text(v)?).ok()?.parse().ok(),
    }
}

fn parse_read(value: Value) -> Option<Read> {
    let Value::Array(parts) = value else {
        return None;
    };
    let [epoch, seq, entries] = <[Value; 3]>::try_from(parts).ok()?;
    let epoch: Arc<str> = Arc::from(std::str::from_utf8(text(&epoch)?).ok()?);
    let seq = number(&seq)?;
    let Value::Array(entries) = entries else {
        return None;
    };
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let Value::Array(entry) = entry else {
            return None;
        };
        let [id, fields] = <[Value; 2]>::try_from(entry).ok()?;
        let id = std::str::from_utf8(text(&id)?).ok()?;
        let seq: u64 = id.split('-').next()?.parse().ok()?;
        let Value::Array(fields) = fields else {
            return None;
        };
        let (mut event_type, mut tail) = (None, None);
        for pair in fields.chunks(2) {
            match (pair.first().and_then(text), pair.get(1).and_then(text)) {
                (Some(b"t"), Some(v)) => event_type = std::str::from_utf8(v).ok(),
                (Some(b"b"), Some(v)) => tail = Some(v),
                _ => {}
            }
        }
        out.push((seq, frame(event_type?, seq, tail?)));
    }
    Some(Read {
        epoch,
        seq,
        entries: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_tags_keep_the_whole_id() {
        assert_eq!(hash_tag("alice"), "alice");
        assert_eq!(hash_tag("a}b{c%"), "a%7Db%7Bc%25");
        assert_ne!(hash_tag("a}"), hash_tag("a%7D"));
    }

    #[test]
    fn messages_parse_with_spaces_in_the_tail() {
        let (epoch, seq, ty, tail) = parse_message(b"e1 42 x ,\"a\":\"b c\"}").unwrap();
        assert_eq!(
            (epoch, seq, ty, tail),
            ("e1", 42, "x", &b",\"a\":\"b c\"}"[..])
        );
        assert!(parse_message(b"e1 x y z").is_none());
        assert_eq!(frame("x", 7, b"}").text.as_str(), r#"{"type":"x","seq":7}"#);
    }
}
