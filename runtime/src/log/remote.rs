//! The Redis backend: one user's stream shared by every node on one Redis.
//!
//! Per user there are four names, all with the user's id as hash tag so
//! that Redis Cluster keeps them in one slot, and one channel per node:
//!
//! | name | what |
//! |---|---|
//! | `{prefix}:{<user>}:meta` | hash: `epoch`, `seq` (the last assigned), `w:<node>` (the last batch each node wrote) |
//! | `{prefix}:{<user>}:log` | stream: entry `<seq>-0` with fields `t` (event type) and `b` (the envelope after `seq`), trimmed to the replay window |
//! | `{prefix}:{<user>}:ch` | pub/sub channel: one message per batch, `<epoch> <first seq>` then ` <type> <length> <envelope after seq>` per event |
//! | `{prefix}:{<user>}:runs` | hash: the user's live runs on every node, `r:<run id>` per run and `s:<id>` per place under the run cap, each `<node> <expires at, ms of Redis's clock>` |
//! | `{prefix}:node:<node>` | pub/sub channel, one per node: `<runs key>\n<run id>` per cancel forwarded to it |
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
//!
//! A node records each run it hosts in the user's runs hash, through the
//! user's writer in order with the events (so a run's record is there
//! before its `agent_started`), and refreshes its records while the runs
//! live; a record expires on its own when its node dies. A `cancel_run`
//! for a run this node does not host looks the run up there ([`CANCEL`])
//! and publishes the cancel on the hosting node's channel, which that
//! node subscribes to before it writes any run record.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{ProtocolVersion, PushInfo, PushKind, Script, Value};
use tokio::sync::{oneshot, Notify};

use super::{Frame, LogBackend, SyncGuard, UserLog};
use crate::control::Cancel;
use crate::run::RunCore;
use crate::{wire, Error, RunId, UserId};

/// Appends a batch of events to a user's stream, atomically.
///
/// KEYS: meta, log. ARGV: node, batch number, a fresh epoch, reset (`1`
/// starts a new stream), the stream's MAXLEN, the TTL in ms, the channel,
/// then `type`, `tail` per event. A batch this node already wrote (a retry
/// after a lost reply) is not written twice. The batch is published as one
/// message ([`parse_message`]). Returns `{epoch, last seq}`.
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
local message = {epoch, ' ', string.format('%d', seq + 1)}
for i = 8, #ARGV, 2 do
  seq = seq + 1
  local id = string.format('%d-0', seq)
  redis.call('XADD', log, id, 't', ARGV[i], 'b', ARGV[i + 1])
  table.insert(message, ' ' .. ARGV[i] .. ' ' .. string.format('%d', #ARGV[i + 1]) .. ' ')
  table.insert(message, ARGV[i + 1])
end
if #ARGV >= 8 then
  redis.call('XTRIM', log, 'MAXLEN', ARGV[5])
  redis.call('PUBLISH', ARGV[7], table.concat(message))
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

/// The clock of the run records: Redis's own, in milliseconds, so that
/// nodes with skewed clocks agree on what has expired; and whether a
/// record (`<node> <expires at>`) is still live.
const RECORD_LIB: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function parse(v)
  local sp = string.find(v, ' ', 1, true)
  if not sp then return nil, nil end
  return string.sub(v, 1, sp - 1), tonumber(string.sub(v, sp + 1))
end
";

/// Records what this node hosts of a user's live runs: sets (or
/// refreshes) some records and deletes others, only its own.
///
/// KEYS: runs. ARGV: node, TTL in ms, the number of fields to set, those
/// fields, then the fields to delete.
const HOST: &str = r"
local runs = KEYS[1]
local node, ttl, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local value = node .. ' ' .. string.format('%d', now + ttl)
for i = 4, 3 + n do
  redis.call('HSET', runs, ARGV[i], value)
end
for i = 4 + n, #ARGV do
  local v = redis.call('HGET', runs, ARGV[i])
  if v and parse(v) == node then
    redis.call('HDEL', runs, ARGV[i])
  end
end
redis.call('PEXPIRE', runs, ttl)
return 1
";

/// Takes a place under the per-user cap of client-started runs, across
/// every node: forgets expired records, counts the live `s:` ones, and
/// adds `field` if there are fewer than the cap. Returns 1 if taken.
///
/// KEYS: runs. ARGV: node, TTL in ms, field, cap.
const CLAIM: &str = r"
local runs = KEYS[1]
local node, ttl, field, cap = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local all = redis.call('HGETALL', runs)
local taken = 0
for i = 1, #all, 2 do
  local _, expires = parse(all[i + 1])
  if (not expires) or expires <= now then
    redis.call('HDEL', runs, all[i])
  elseif string.sub(all[i], 1, 2) == 's:' then
    taken = taken + 1
  end
end
if taken >= cap then
  return 0
end
redis.call('HSET', runs, field, node .. ' ' .. string.format('%d', now + ttl))
redis.call('PEXPIRE', runs, ttl)
return 1
";

/// Forwards a `cancel_run` to the node that hosts the run: 0 when the
/// user has no live run of that id, 1 when the node's subscription took
/// the message, -1 when no subscriber did (the node is gone, or its
/// subscription is down).
///
/// KEYS: runs. ARGV: field, the prefix of the nodes' channels, message.
const CANCEL: &str = r"
local runs = KEYS[1]
local v = redis.call('HGET', runs, ARGV[1])
if not v then
  return 0
end
local node, expires = parse(v)
if (not expires) or expires <= now then
  redis.call('HDEL', runs, ARGV[1])
  return 0
end
if redis.call('PUBLISH', ARGV[2] .. node, ARGV[3]) > 0 then
  return 1
end
return -1
";

/// How long a run record lives unless its node refreshes it: a node that
/// dies takes its records with it within this time.
const RUN_TTL: Duration = Duration::from_secs(30);
/// How often a node refreshes the records of the runs it hosts.
const RUN_REFRESH: Duration = Duration::from_secs(10);
/// Deletions of records waiting for Redis, per user; past that the
/// records are left to expire.
const ENDED_CAPACITY: usize = 1024;
/// How long a `cancel_run` or a claim under the cap waits for Redis.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(3);

/// How long an attach waits for Redis before the connection is refused.
const SYNC_TIMEOUT: Duration = Duration::from_secs(5);
/// Events (and at most this many bytes) written by one script call.
const BATCH_EVENTS: usize = 256;
const BATCH_BYTES: usize = 1 << 20;
/// Pub/sub messages (and at most this many bytes of them) waiting for a
/// user's task; past that they are dropped and the task fills the gap from
/// the stream.
const INBOX_CAPACITY: usize = 4096;
const INBOX_BYTES: usize = 16 << 20;
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
struct Routes {
    followers: Mutex<HashMap<Vec<u8>, Weak<RedisStream>>>,
    /// This node's own channel, for cancels forwarded by other nodes.
    control: Vec<u8>,
    /// Set once this node has subscribed to [`Self::control`] (when it
    /// first hosts a run); resubscribed after a reconnect from then on.
    control_subscribed: AtomicBool,
    /// The users whose runs this node may host, by their runs key.
    hosts: Mutex<HashMap<Vec<u8>, Weak<RedisStream>>>,
    runtime: tokio::runtime::Handle,
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

    fn hosts(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Weak<RedisStream>>> {
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A cancel forwarded by another node: `<runs key>\n<run id>`. Only a
    /// live run this node hosts under that key is cancelled; anything else
    /// (it ended meanwhile) is nothing to do.
    fn cancel_requested(&self, payload: &[u8]) {
        let Some(split) = payload.iter().position(|b| *b == b'\n') else {
            return;
        };
        let (key, id) = (&payload[..split], &payload[split + 1..]);
        let Ok(id) = std::str::from_utf8(id) else {
            return;
        };
        let stream = self.hosts().get(key).and_then(Weak::upgrade);
        let Some(run) = stream.and_then(|s| s.hosted_run(id)) else {
            return;
        };
        // Off the connection's task: ending a run emits its terminal events.
        self.runtime.spawn(async move {
            run.cancel(Cancel::Client);
        });
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
                if channel == self.control {
                    self.cancel_requested(&payload);
                    return;
                }
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
    host: Script,
    claim: Script,
    cancel: Script,
    /// `{prefix}:node:`, followed by a node's id: that node's channel.
    control_prefix: String,
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
        let node = crate::id::fresh("node");
        let control_prefix = format!("{}:node:", config.key_prefix);
        let routes = Arc::new(Routes {
            followers: Mutex::default(),
            control: format!("{control_prefix}{node}").into_bytes(),
            control_subscribed: AtomicBool::new(false),
            hosts: Mutex::default(),
            runtime: runtime.clone(),
            disconnected: Notify::new(),
            closed: AtomicBool::new(false),
        });
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
            node,
            cmd,
            sub,
            routes,
            append: Script::new(APPEND),
            read: Script::new(READ),
            host: Script::new(&format!("{RECORD_LIB}{HOST}")),
            claim: Script::new(&format!("{RECORD_LIB}{CLAIM}")),
            cancel: Script::new(&format!("{RECORD_LIB}{CANCEL}")),
            control_prefix,
            next_batch: AtomicU64::new(1),
            subscribing: tokio::sync::Mutex::new(()),
            runtime,
        });
        link.runtime
            .spawn(resubscribe(Arc::downgrade(&link), link.routes.clone()));
        Ok(link)
    }

    /// Subscribes to this node's channel, once: from then on it takes the
    /// cancels other nodes forward. False when Redis is unreachable.
    async fn subscribe_control(&self) -> bool {
        let routes = &self.routes;
        if routes.control_subscribed.load(Ordering::Acquire) {
            return true;
        }
        let _subscribing = self.subscribing.lock().await;
        if routes.control_subscribed.load(Ordering::Acquire) {
            return true;
        }
        let mut sub = self.sub.clone();
        match sub.subscribe(&routes.control[..]).await {
            Ok(()) => {
                routes.control_subscribed.store(true, Ordering::Release);
                true
            }
            Err(e) => {
                tracing::debug!(target: "agentwire::redis", error = %e, "subscribe failed");
                false
            }
        }
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
            runs: format!("{prefix}:{{{tag}}}:runs"),
            hosted: Mutex::new(Hosted::default()),
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
            let mut channels: Vec<Vec<u8>> = routes.followers().keys().cloned().collect();
            if routes.control_subscribed.load(Ordering::Acquire) {
                channels.push(routes.control.clone());
            }
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
    /// Write the changes to this node's run records, in order with the
    /// events: a run's record is in Redis before its `agent_started`.
    Runs,
    /// Answered once every item before it is done: the events emitted
    /// before it are in Redis.
    Flush(oneshot::Sender<()>),
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
    /// The sum of the lengths of `messages`.
    bytes: usize,
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
    /// `{prefix}:{<user>}:runs`: the user's live runs on every node.
    runs: String,
    /// This node's live runs of the user, and their records.
    hosted: Mutex<Hosted>,
    outbox: Mutex<Outbox>,
    inbox: Mutex<Inbox>,
    wake: Notify,
    /// Attaches between their sync and their registration: the task keeps
    /// following meanwhile.
    attaching: Arc<AtomicUsize>,
    running: AtomicBool,
}

/// This node's live runs of one user and their records in the user's
/// runs hash: `r:<run id>` per run (for `cancel_run` from any node),
/// `s:<id>` per place taken under the cap of client-started runs.
#[derive(Default)]
struct Hosted {
    live: HashMap<Box<str>, Record>,
    /// Records to delete, oldest first.
    ended: Vec<Box<str>>,
    /// An [`Item::Runs`] waits in the outbox.
    queued: bool,
    /// The next write refreshes every record's TTL.
    refresh: bool,
}

struct Record {
    /// The run, to cancel it; `None` for a place under the cap.
    run: Option<Weak<RunCore>>,
    /// Whether the record is in Redis.
    written: bool,
}

/// What became of a `cancel_run` forwarded through Redis.
pub(crate) enum Forwarded {
    /// The node hosting the run took it; the run ends there.
    Delivered,
    /// The user has no live run of that id on any node.
    Unknown,
    /// A node records the run, but nothing listens on its channel: it is
    /// gone (its record expires within [`RUN_TTL`]) or cut off from Redis.
    NodeUnreachable,
    /// Redis could not be asked.
    RedisUnreachable,
}

/// A place under the per-user cap of client-started runs, counted across
/// every node; its record is deleted when it is dropped.
pub(crate) struct Slot {
    stream: Arc<RedisStream>,
    field: Box<str>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.stream.end(std::mem::take(&mut self.field));
    }
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
        if inbox.messages.len() < INBOX_CAPACITY && inbox.bytes + payload.len() <= INBOX_BYTES {
            inbox.bytes += payload.len();
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

    /// Resolves once the events emitted so far are in Redis (the sender is
    /// dropped, unanswered, if the user's task ends first).
    pub(crate) fn flushed(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.push(Item::Flush(tx));
        rx
    }

    fn push(&self, item: Item) {
        self.outbox().items.push_back(item);
        self.wake.notify_one();
    }

    fn hosted(&self) -> MutexGuard<'_, Hosted> {
        self.hosted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a run this node hosts, before any of its events: a tab on
    /// another node that sees the run can cancel it.
    pub(crate) fn host_run(self: &Arc<Self>, id: &RunId, run: Weak<RunCore>) {
        self.link
            .routes
            .hosts()
            .insert(self.runs.as_bytes().to_vec(), Arc::downgrade(self));
        let mut hosted = self.hosted();
        hosted.live.insert(
            format!("r:{id}").into(),
            Record {
                run: Some(run),
                written: false,
            },
        );
        self.queue_runs(hosted);
    }

    /// The run ended: its record goes.
    pub(crate) fn end_run(&self, id: &RunId) {
        self.end(format!("r:{id}").into());
    }

    fn end(&self, field: Box<str>) {
        let mut hosted = self.hosted();
        hosted.live.remove(&field);
        if hosted.ended.len() < ENDED_CAPACITY {
            hosted.ended.push(field);
        }
        self.queue_runs(hosted);
    }

    fn queue_runs(&self, mut hosted: MutexGuard<'_, Hosted>) {
        if !hosted.queued {
            hosted.queued = true;
            drop(hosted);
            self.push(Item::Runs);
        }
    }

    /// The live run `id` this node hosts for the user.
    fn hosted_run(&self, id: &str) -> Option<Arc<RunCore>> {
        let hosted = self.hosted();
        let record = hosted.live.get(format!("r:{id}").as_str())?;
        record.run.as_ref()?.upgrade()
    }

    /// Takes a place under the cap of `cap` client-started runs of the
    /// user, across every node: `Ok(None)` when they are all taken, `Err`
    /// when Redis could not be asked.
    pub(crate) async fn claim(self: &Arc<Self>, cap: usize) -> Result<Option<Slot>, ()> {
        let field: Box<str> = format!("s:{}", crate::id::fresh("slot")).into();
        let link = &self.link;
        let mut invocation = link.claim.prepare_invoke();
        invocation
            .key(&self.runs)
            .arg(&*link.node)
            .arg(RUN_TTL.as_millis() as u64)
            .arg(&*field)
            .arg(cap);
        let mut cmd = link.cmd.clone();
        let taken =
            tokio::time::timeout(CONTROL_TIMEOUT, invocation.invoke_async::<i64>(&mut cmd)).await;
        match taken {
            Ok(Ok(1)) => {
                self.hosted().live.insert(
                    field.clone(),
                    Record {
                        run: None,
                        written: true,
                    },
                );
                Ok(Some(Slot {
                    stream: self.clone(),
                    field,
                }))
            }
            Ok(Ok(_)) => Ok(None),
            answer => {
                let error = match answer {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_owned(),
                };
                tracing::warn!(target: "agentwire::redis", %error, "could not count the user's runs across nodes: the cap holds per node for this run");
                // In case the claim landed after all.
                self.end(field);
                Err(())
            }
        }
    }

    /// Forwards a `cancel_run` for the user's run `id` to the node that
    /// hosts it, if any does.
    pub(crate) async fn forward_cancel(&self, id: &str) -> Forwarded {
        let link = &self.link;
        let mut invocation = link.cancel.prepare_invoke();
        invocation
            .key(&self.runs)
            .arg(format!("r:{id}"))
            .arg(&link.control_prefix)
            .arg(format!("{}\n{id}", self.runs));
        let mut cmd = link.cmd.clone();
        let answer =
            tokio::time::timeout(CONTROL_TIMEOUT, invocation.invoke_async::<i64>(&mut cmd)).await;
        match answer {
            Ok(Ok(1)) => Forwarded::Delivered,
            Ok(Ok(0)) => Forwarded::Unknown,
            Ok(Ok(_)) => Forwarded::NodeUnreachable,
            Ok(Err(e)) => {
                tracing::warn!(target: "agentwire::redis", error = %e, "could not forward a cancel_run");
                Forwarded::RedisUnreachable
            }
            Err(_) => {
                tracing::warn!(target: "agentwire::redis", "forwarding a cancel_run timed out");
                Forwarded::RedisUnreachable
            }
        }
    }

    /// This stream no longer takes forwarded cancels (its task ends).
    fn forget_host(self: &Arc<Self>) {
        let mut hosts = self.link.routes.hosts();
        let key = self.runs.as_bytes();
        if hosts
            .get(key)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(self)))
        {
            hosts.remove(key);
        }
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
            outbox.items.retain(|i| !matches!(i, Item::Event { .. }));
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
        let mut last_refresh = tokio::time::Instant::now();
        loop {
            let log = self.log.upgrade();
            let wanted = self.stream.attaching.load(Ordering::Acquire) > 0
                || log
                    .as_ref()
                    .is_some_and(|l| !l.lock().subscribers.is_empty());
            if self.stream.link.routes.closed.load(Ordering::Acquire) && log.is_none() {
                self.stream.forget_host();
                return;
            }
            let hosting = {
                let mut hosted = self.stream.hosted();
                if hosted.live.is_empty() {
                    last_refresh = tokio::time::Instant::now();
                    false
                } else {
                    if last_refresh.elapsed() >= RUN_REFRESH {
                        last_refresh = tokio::time::Instant::now();
                        hosted.refresh = true;
                        self.stream.queue_runs(hosted);
                    }
                    true
                }
            };
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
                    inbox.bytes = 0;
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
                self.stream.forget_host();
                return;
            }
            let mut tick = if self.following {
                sync_every.saturating_sub(last_sync.elapsed())
            } else {
                Duration::from_secs(3600)
            };
            if hosting {
                tick = tick.min(RUN_REFRESH.saturating_sub(last_refresh.elapsed()));
            }
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

    /// Delivers the events of one channel message that follow the last
    /// `seq` of the stream this node follows; false when the node must
    /// sync with the stream (a gap, another epoch, a message it cannot
    /// read).
    fn ingest(&self, log: &UserLog, message: &[u8]) -> bool {
        let Some(batch) = parse_message(message) else {
            return false;
        };
        let mut state = log.lock();
        if !state.live || *state.epoch != *batch.epoch {
            return false;
        }
        let mut evicted = Vec::new();
        for (seq, (event_type, tail)) in (batch.first..).zip(batch.events) {
            if seq > state.last_seq + 1 {
                return false;
            }
            if seq == state.last_seq + 1 {
                evicted.extend(state.publish(frame(event_type, seq, tail), &log.limits));
            }
        }
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
            Runs,
            Flush,
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
                Some(Item::Runs) => Next::Runs,
                Some(Item::Flush(_)) => Next::Flush,
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
            Next::Flush => {
                if let Some(Item::Flush(done)) = self.stream.outbox().items.pop_front() {
                    let _ = done.send(());
                }
                Step::Done
            }
            Next::Runs => {
                if !self.write_runs().await {
                    return Step::Failed;
                }
                let mut outbox = self.stream.outbox();
                if matches!(outbox.items.front(), Some(Item::Runs)) {
                    outbox.items.pop_front();
                }
                Step::Done
            }
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

    /// Writes what changed in this node's run records of the user (every
    /// record, when it is time to refresh them). A run's record is written
    /// only once this node listens for forwarded cancels.
    async fn write_runs(&mut self) -> bool {
        let (set, ended, refresh) = {
            let mut hosted = self.stream.hosted();
            hosted.queued = false;
            let refresh = std::mem::take(&mut hosted.refresh);
            let set: Vec<Box<str>> = hosted
                .live
                .iter()
                .filter(|(_, r)| refresh || !r.written)
                .map(|(f, _)| f.clone())
                .collect();
            (set, hosted.ended.clone(), refresh)
        };
        if set.is_empty() && ended.is_empty() {
            return true;
        }
        let link = &self.stream.link;
        let written = async {
            if set.iter().any(|f| f.starts_with("r:")) && !link.subscribe_control().await {
                return false;
            }
            let mut invocation = link.host.prepare_invoke();
            invocation
                .key(&self.stream.runs)
                .arg(&*link.node)
                .arg(RUN_TTL.as_millis() as u64)
                .arg(set.len());
            for field in set.iter().chain(&ended) {
                invocation.arg(&**field);
            }
            let mut cmd = link.cmd.clone();
            let result: Result<Value, _> = invocation.invoke_async(&mut cmd).await;
            result.map_err(|e| {
                tracing::debug!(target: "agentwire::redis", error = %e, "writing run records failed; retrying");
            }).is_ok()
        }
        .await;
        let mut hosted = self.stream.hosted();
        if !written {
            hosted.refresh |= refresh;
            return false;
        }
        for field in &set {
            if let Some(record) = hosted.live.get_mut(field) {
                record.written = true;
            }
        }
        // Only ever pushed to since the copy: the first ones were written.
        let n = ended.len().min(hosted.ended.len());
        hosted.ended.drain(..n);
        true
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

/// One channel message: the events of one batch.
struct Batch<'m> {
    epoch: &'m str,
    /// The `seq` of the first event; the others follow one by one.
    first: u64,
    /// Each event's type and tail.
    events: Vec<(&'m str, &'m [u8])>,
}

/// `<epoch> <first seq>`, then ` <type> <length> <tail>` per event, where
/// `<length>` is the tail's in bytes. `None` for a message that does not
/// read so to its end.
fn parse_message(message: &[u8]) -> Option<Batch<'_>> {
    /// The text up to the next space, and what follows the space.
    fn word(rest: &[u8]) -> Option<(&str, &[u8])> {
        let at = rest.iter().position(|b| *b == b' ')?;
        Some((std::str::from_utf8(&rest[..at]).ok()?, &rest[at + 1..]))
    }
    let (epoch, rest) = word(message)?;
    let (first, mut rest) = match word(rest) {
        Some((first, rest)) => (first, rest),
        None => (std::str::from_utf8(rest).ok()?, &[][..]),
    };
    let first = first.parse().ok()?;
    let mut events = Vec::new();
    while !rest.is_empty() {
        let (event_type, after) = word(rest)?;
        let (len, after) = word(after)?;
        let len: usize = len.parse().ok()?;
        let tail = after.get(..len)?;
        rest = match after.get(len..)? {
            [] => &[],
            [b' ', more @ ..] if !more.is_empty() => more,
            _ => return None,
        };
        events.push((event_type, tail));
    }
    Some(Batch {
        epoch,
        first,
        events,
    })
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
    fn a_batch_reads_back_whatever_its_tails_hold() {
        let tails: [&[u8]; 3] = [b",\"a\":\"b c\"}", b" 3 x 9 ", b""];
        let mut message = b"e1 42".to_vec();
        for (i, tail) in tails.iter().enumerate() {
            message.extend_from_slice(format!(" t{i} {} ", tail.len()).as_bytes());
            message.extend_from_slice(tail);
        }
        let batch = parse_message(&message).unwrap();
        assert_eq!((batch.epoch, batch.first), ("e1", 42));
        let want: Vec<(String, &[u8])> = tails
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("t{i}"), *t))
            .collect();
        let got: Vec<(String, &[u8])> = batch
            .events
            .iter()
            .map(|(ty, t)| (ty.to_string(), *t))
            .collect();
        assert_eq!(got, want);
        assert_eq!(parse_message(b"e1 7").unwrap().events.len(), 0);
        for bad in [
            &b"e1 x"[..],
            b"e1 42 x 5 abc",
            b"e1 42 x 3 abcd",
            b"e1 42 x 3 abc ",
            b"e1 42 x -1 abc",
            b"e1 42 x",
        ] {
            assert!(
                parse_message(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(frame("x", 7, b"}").text.as_str(), r#"{"type":"x","seq":7}"#);
    }
}
