use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::log::{Backend, LogLimits, Memory, QueueLimit, UserLog};
use crate::{Agent, Error, UserId, WebSocketManagerFactory};

/// Number of independently locked parts of the user table; the table is
/// only touched when a manager or connection is created, never per event.
const SHARDS: usize = 32;

/// The hub owns all shared state: every user's ordered log, the registered
/// agents, and the configuration. Everything else is obtained from it:
/// [`factory`](Hub::factory) for managers and bridges, and
/// [`serve`](Hub::serve) for the WebSocket endpoint.
///
/// Cloning a hub is cheap and shares the state.
///
/// ```
/// use agentwire::Hub;
///
/// let hub = Hub::builder().replay_capacity(512).build()?;
/// let factory = hub.factory();
/// # let _ = factory;
/// # Ok::<(), agentwire::Error>(())
/// ```
#[derive(Clone)]
pub struct Hub {
    pub(crate) inner: Arc<HubInner>,
}

pub(crate) struct HubInner {
    pub(crate) config: HubConfig,
    hasher: RandomState,
    users: Box<[Mutex<Shard>]>,
    pub(crate) agents: Vec<Arc<dyn Agent>>,
    /// The shared backend, when the hub is one node of several.
    #[cfg(feature = "redis")]
    redis: Option<Arc<crate::log::remote::RedisLink>>,
}

/// One independently locked part of the user table. Logs nobody holds are
/// forgotten lazily: when the shard has doubled since its last sweep, the
/// logs idle for longer than the retention are dropped, so the table stays
/// within twice the users that are live or recently active.
#[derive(Default)]
struct Shard {
    logs: HashMap<UserId, Arc<UserLog>>,
    sweep_at: usize,
}

const MIN_SWEEP: usize = 64;

/// The default time budget of an agent's run.
pub(crate) const DEFAULT_RUN_BUDGET: Duration = Duration::from_secs(600);

/// The smallest `max_event_size`: room for an envelope of the longest ids
/// and names with its large fields cut short.
pub(crate) const MIN_EVENT_SIZE: usize = 4 * 1024;

impl Shard {
    fn sweep(&mut self, retention: Duration) -> usize {
        let now = crate::log::clock_ms();
        let retention = retention.as_millis() as u64;
        let before = self.logs.len();
        self.logs.retain(|_, log| !log.is_idle(now, retention));
        self.sweep_at = (self.logs.len() * 2).max(MIN_SWEEP);
        before - self.logs.len()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct HubConfig {
    pub(crate) log: LogLimits,
    pub(crate) subscriber: QueueLimit,
    pub(crate) idle_retention: Duration,
    #[cfg(feature = "redis")]
    pub(crate) redis: Option<crate::log::remote::RedisConfig>,
}

impl Hub {
    /// A builder with the defaults: events of at most 1 MiB, 256 buffered
    /// events (at most 4 MiB) per user, in-process subscriptions of 1,024
    /// events (at most 8 MiB), runs of agents cancelled after 10 minutes,
    /// no agents.
    pub fn builder() -> HubBuilder {
        HubBuilder {
            config: HubConfig {
                log: LogLimits {
                    replay_events: 256,
                    replay_bytes: 4 << 20,
                    max_event_size: 1 << 20,
                    run_budget: Some(DEFAULT_RUN_BUDGET),
                },
                subscriber: QueueLimit {
                    events: 1024,
                    bytes: 8 << 20,
                },
                idle_retention: Duration::from_secs(600),
                #[cfg(feature = "redis")]
                redis: None,
            },
            agents: Vec::new(),
        }
    }

    /// The one factory of managers. Cheap; call it wherever a factory is
    /// needed.
    pub fn factory(&self) -> WebSocketManagerFactory {
        WebSocketManagerFactory {
            hub: self.inner.clone(),
        }
    }

    /// Users the hub currently keeps a log for: those with a live manager,
    /// bridge, run or connection, and those active within the idle retention.
    pub fn user_count(&self) -> usize {
        self.inner.user_count()
    }

    /// Forgets the logs of users nobody holds and who have been idle for
    /// longer than the retention; returns how many. This also happens
    /// on its own as new users arrive, so calling it is optional.
    pub fn forget_idle_users(&self) -> usize {
        self.inner.sweep_idle()
    }

    /// Waits until every event emitted through this hub so far is written
    /// where other nodes read it: with [`HubBuilder::redis`], in Redis; in
    /// memory, at once. A worker that emits and then exits calls it before
    /// it exits, since emitting only queues the events for the user's
    /// writer task.
    ///
    /// Fails with [`Error::Io`] (`TimedOut`) when that is not done within
    /// `timeout` (Redis unreachable, say): the events are still queued and
    /// are written when Redis returns, if the process lives that long.
    ///
    /// ```
    /// # async fn demo(hub: agentwire::Hub) -> Result<(), agentwire::Error> {
    /// hub.flush(std::time::Duration::from_secs(5)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn flush(&self, timeout: Duration) -> Result<(), Error> {
        #[cfg(feature = "redis")]
        {
            let pending: Vec<_> = self
                .inner
                .users
                .iter()
                .flat_map(|shard| {
                    let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
                    shard
                        .logs
                        .values()
                        .filter_map(|log| log.remote().map(|r| r.flushed()))
                        .collect::<Vec<_>>()
                })
                .collect();
            let not_written = || {
                Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("the events emitted so far were not all written to Redis within {timeout:?}"),
                ))
            };
            let all = futures_util::future::join_all(pending);
            let answers = tokio::time::timeout(timeout, all)
                .await
                .map_err(|_| not_written())?;
            if answers.iter().any(Result::is_err) {
                return Err(not_written());
            }
        }
        #[cfg(not(feature = "redis"))]
        let _ = timeout;
        Ok(())
    }

    /// The names of the registered agents; the first is the default.
    pub fn agent_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.inner.agents.iter().map(|a| a.name())
    }
}

impl HubInner {
    /// The user's log, created on first use.
    pub(crate) fn user_log(&self, user: &UserId) -> Arc<UserLog> {
        let shard = self.hasher.hash_one(user) as usize % self.users.len();
        let mut shard = self.users[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(log) = shard.logs.get(user) {
            return log.clone();
        }
        if shard.logs.len() >= shard.sweep_at {
            shard.sweep(self.config.idle_retention);
        }
        let log = self.new_log(user);
        shard.logs.insert(user.clone(), log.clone());
        log
    }

    fn new_log(&self, user: &UserId) -> Arc<UserLog> {
        #[cfg(feature = "redis")]
        if let Some(link) = &self.redis {
            let stream = link.stream(user);
            let log = Arc::new(UserLog::with_backend(
                user.clone(),
                self.config.log,
                Backend::Remote(stream.clone()),
            ));
            stream.start(&log);
            return log;
        }
        Arc::new(UserLog::with_backend(
            user.clone(),
            self.config.log,
            Backend::Memory(Memory),
        ))
    }

    /// Forgets every log nobody holds that has been idle past the retention.
    /// Returns how many were forgotten.
    pub(crate) fn sweep_idle(&self) -> usize {
        self.users
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .sweep(self.config.idle_retention)
            })
            .sum()
    }

    pub(crate) fn user_count(&self) -> usize {
        self.users
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).logs.len())
            .sum()
    }

    pub(crate) fn agent(&self, name: Option<&str>) -> Option<&Arc<dyn Agent>> {
        match name {
            None => self.agents.first(),
            Some(name) => self.agents.iter().find(|a| a.name() == name),
        }
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("users", &self.user_count())
            .field("agents", &self.agent_names().collect::<Vec<_>>())
            .field("config", &self.inner.config)
            .finish()
    }
}

/// Configures and builds a [`Hub`].
///
/// ```
/// use agentwire::prelude::*;
///
/// #[agent]
/// async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
///     Ok(msg.content)
/// }
///
/// let hub = Hub::builder()
///     .agent(researcher)
///     .replay_capacity(1024)
///     .build()?;
/// assert_eq!(hub.agent_names().collect::<Vec<_>>(), ["researcher"]);
/// # Ok::<(), agentwire::Error>(())
/// ```
#[must_use = "a builder does nothing until `.build()`"]
pub struct HubBuilder {
    config: HubConfig,
    agents: Vec<Arc<dyn Agent>>,
}

impl HubBuilder {
    /// Registers an agent; the first registered is the default for messages
    /// that name none.
    pub fn agent(mut self, agent: impl Agent) -> Self {
        self.agents.push(Arc::new(agent));
        self
    }

    /// How many recent events each user's log keeps for replay to
    /// connections that open later (default 256; 0 keeps none). A client
    /// that missed more than the buffer holds gets none of them replayed
    /// and is told to reload instead.
    pub fn replay_capacity(mut self, events: usize) -> Self {
        self.config.log.replay_events = events;
        self
    }

    /// How many bytes of recent events each user's log keeps for replay
    /// (default 4 MiB); the oldest events go first. At least
    /// [`max_event_size`](Self::max_event_size).
    pub fn replay_bytes(mut self, bytes: usize) -> Self {
        self.config.log.replay_bytes = bytes;
        self
    }

    /// The largest event, as the whole JSON envelope sent to browsers
    /// (default 1 MiB, at least 4 KiB). A lifecycle event whose payload
    /// would be larger is emitted with its large fields cut short and
    /// `"truncated": true` in its payload; a custom event that large is not
    /// emitted and `emit!` returns [`Error::EventTooLarge`]. Every event
    /// within the limit can be delivered to every connection. The size
    /// counts `seq` at its longest (20 digits); what a cut event looks like
    /// is described under [the size limit](crate::events#the-size-limit).
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.config.log.max_event_size = bytes;
        self
    }

    /// The time budget of a run of an agent (one started by a client's
    /// `user_message`, or by [`Agent::handle`](crate::Agent::handle)) whose
    /// `#[agent]` sets no `timeout` of its own: 10 minutes by default,
    /// `None` for no budget. A run past its budget is cancelled: its open
    /// tool calls end `cancelled`, then `agent_completed` is sent with
    /// status `cancelled` and an error saying the budget ran out, and the
    /// handler is no longer awaited. Runs started by hand with
    /// `emit!(bridge, agent_started { .. })` take a budget with
    /// [`Run::set_budget`](crate::Run::set_budget).
    ///
    /// ```
    /// use std::time::Duration;
    /// let hub = agentwire::Hub::builder().run_budget(Some(Duration::from_secs(120))).build()?;
    /// let unbounded = agentwire::Hub::builder().run_budget(None).build()?;
    /// # let _ = (hub, unbounded);
    /// # Ok::<(), agentwire::Error>(())
    /// ```
    pub fn run_budget(mut self, budget: Option<Duration>) -> Self {
        self.config.log.run_budget = budget;
        self
    }

    /// How long the log (and so the replay buffer and `seq`) of a user with
    /// no manager, bridge, run, subscription or connection is kept (default
    /// 10 minutes). A log made again after that has a new
    /// [`epoch`](crate::UserWebSocketManager::epoch).
    pub fn idle_retention(mut self, retention: Duration) -> Self {
        self.config.idle_retention = retention;
        self
    }

    /// How many events an in-process [`Subscription`](crate::Subscription)
    /// may fall behind before it is dropped (default 1,024).
    pub fn subscriber_capacity(mut self, events: usize) -> Self {
        self.config.subscriber.events = events;
        self
    }

    /// How many bytes of events an in-process subscription may fall behind
    /// before it is dropped (default 8 MiB, at least
    /// [`max_event_size`](Self::max_event_size)).
    pub fn subscriber_bytes(mut self, bytes: usize) -> Self {
        self.config.subscriber.bytes = bytes;
        self
    }

    /// Makes this hub one node of several that share each user's event
    /// stream through the Redis at `url` (e.g. `redis://127.0.0.1:6379`;
    /// `rediss://` needs the `redis` crate's TLS features): `seq` is then
    /// per user across every node, a tab on any node gets every event of
    /// its user whichever node emitted it, and a client resumes on any
    /// node. Needs the `redis` feature, and [`build`](Self::build) inside
    /// a tokio runtime. The URL is checked at build; Redis need not be up
    /// then (see the README's multi-node section for what happens while
    /// it is down).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), agentwire::Error> {
    /// let hub = agentwire::Hub::builder().redis("redis://127.0.0.1:6379").build()?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.config.redis = Some(crate::log::remote::RedisConfig::new(url.into()));
        self
    }

    /// With [`redis`](Self::redis): how long the keys of a user nobody
    /// emits to or follows live in Redis (default 1 hour; refreshed by
    /// every emit, every connection and, while a node has the user's
    /// tabs, every third of it). A user whose keys expired starts a new
    /// stream (a new epoch).
    #[cfg(feature = "redis")]
    pub fn redis_key_ttl(mut self, ttl: Duration) -> Self {
        if let Some(redis) = &mut self.config.redis {
            redis.key_ttl = ttl;
        }
        self
    }

    /// With [`redis`](Self::redis): the prefix of every key and channel
    /// (default `agentwire`), to share one Redis between applications.
    #[cfg(feature = "redis")]
    pub fn redis_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        if let Some(redis) = &mut self.config.redis {
            redis.key_prefix = prefix.into();
        }
        self
    }

    /// With [`redis`](Self::redis): how many events (and bytes of them) a
    /// node keeps per user while Redis is unreachable (default 1,024
    /// events, 8 MiB). They are written in order when Redis is back; if
    /// the buffer overflows they are dropped, and the user's stream starts
    /// again under a new epoch, so clients learn their history is gone.
    #[cfg(feature = "redis")]
    pub fn redis_buffer(mut self, events: usize, bytes: usize) -> Self {
        if let Some(redis) = &mut self.config.redis {
            redis.buffer_events = events;
            redis.buffer_bytes = bytes;
        }
        self
    }

    /// Builds the hub, rejecting duplicate agent names and limits that
    /// cannot hold one event.
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    pub fn build(mut self) -> Result<Hub, Error> {
        let HubConfig {
            log, subscriber, ..
        } = self.config;
        if subscriber.events == 0 {
            return Err(Error::config("subscriber_capacity must be at least 1"));
        }
        if log.run_budget.is_some_and(|b| b.is_zero()) {
            return Err(Error::config(
                "run_budget must be positive (None for no budget)",
            ));
        }
        if log.max_event_size < MIN_EVENT_SIZE {
            return Err(Error::config(format!(
                "max_event_size must be at least {MIN_EVENT_SIZE} bytes"
            )));
        }
        if log.replay_bytes < log.max_event_size || subscriber.bytes < log.max_event_size {
            return Err(Error::config(
                "replay_bytes and subscriber_bytes must be at least max_event_size",
            ));
        }
        for (i, agent) in self.agents.iter().enumerate() {
            if self.agents[..i].iter().any(|a| a.name() == agent.name()) {
                return Err(Error::config(format!(
                    "two agents are named `{}`; agent names must be unique",
                    agent.name()
                )));
            }
        }
        #[cfg(feature = "redis")]
        let redis = match &mut self.config.redis {
            None => None,
            Some(redis) => {
                if redis.buffer_events == 0 || redis.buffer_bytes < log.max_event_size {
                    return Err(Error::config(
                        "redis_buffer must hold at least one event of max_event_size",
                    ));
                }
                if redis.key_ttl < Duration::from_secs(1) {
                    return Err(Error::config("redis_key_ttl must be at least 1 second"));
                }
                redis.maxlen = log.replay_events;
                Some(crate::log::remote::RedisLink::connect(redis.clone())?)
            }
        };
        Ok(Hub {
            inner: Arc::new(HubInner {
                config: self.config,
                hasher: RandomState::new(),
                users: (0..SHARDS).map(|_| Mutex::default()).collect(),
                agents: self.agents,
                #[cfg(feature = "redis")]
                redis,
            }),
        })
    }
}

impl fmt::Debug for HubBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubBuilder")
            .field("config", &self.config)
            .field(
                "agents",
                &self.agents.iter().map(|a| a.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ThreadId, UserExecutionContext};

    fn ctx(user: &str) -> UserExecutionContext {
        UserExecutionContext::new(UserId::new(user).unwrap(), ThreadId::new("t").unwrap())
    }

    #[tokio::test]
    async fn logs_nobody_holds_are_forgotten_and_held_ones_never_are() {
        let hub = Hub::builder()
            .idle_retention(Duration::ZERO)
            .build()
            .unwrap();
        let factory = hub.factory();
        let kept = factory.create_manager(&ctx("kept")).await.unwrap();
        let bridge = kept.bridge();
        for i in 0..10_000 {
            drop(
                factory
                    .create_manager(&ctx(&format!("u{i}")))
                    .await
                    .unwrap(),
            );
        }
        assert!(
            hub.user_count() <= SHARDS * MIN_SWEEP * 2,
            "{}",
            hub.user_count()
        );
        hub.forget_idle_users();
        assert_eq!(hub.user_count(), 1);
        drop(kept);
        let again = factory.create_manager(&ctx("kept")).await.unwrap();
        let run = crate::emit!(bridge, agent_started { agent_name: "a" });
        drop(run);
        assert_eq!(again.last_seq(), 2, "the held log kept its seq");
    }

    #[tokio::test]
    async fn a_forgotten_log_comes_back_as_a_new_stream() {
        let hub = Hub::builder()
            .idle_retention(Duration::ZERO)
            .build()
            .unwrap();
        let manager = hub.factory().create_manager(&ctx("alice")).await.unwrap();
        drop(crate::emit!(
            manager.bridge(),
            agent_started { agent_name: "a" }
        ));
        let epoch = manager.epoch();
        let events = manager.subscribe();
        drop(manager);
        assert_eq!(hub.forget_idle_users(), 0, "a subscription keeps it");
        drop(events);
        assert_eq!(hub.forget_idle_users(), 1);
        let manager = hub.factory().create_manager(&ctx("alice")).await.unwrap();
        assert_ne!(manager.epoch(), epoch);
        assert_eq!(manager.last_seq(), 0);
        assert!(!manager.subscribe_after(2).recovered());
    }

    #[tokio::test]
    async fn recently_active_logs_are_kept_for_the_retention() {
        let hub = Hub::builder().build().unwrap();
        let manager = hub.factory().create_manager(&ctx("alice")).await.unwrap();
        drop(crate::emit!(
            manager.bridge(),
            agent_started { agent_name: "a" }
        ));
        drop(manager);
        assert_eq!(hub.forget_idle_users(), 0);
        let manager = hub.factory().create_manager(&ctx("alice")).await.unwrap();
        assert_eq!(manager.subscribe_after(0).missed(), 0);
        assert_eq!(manager.last_seq(), 2);
    }
}
