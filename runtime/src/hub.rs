use std::collections::hash_map::{Entry, HashMap};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::log::UserLog;
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
    users: Box<[Mutex<HashMap<UserId, Arc<UserLog>>>]>,
    pub(crate) agents: Vec<Arc<dyn Agent>>,
    pub(crate) closing: AtomicBool,
}

#[derive(Clone, Debug)]
pub(crate) struct HubConfig {
    pub(crate) replay_capacity: usize,
    pub(crate) subscriber_capacity: usize,
}

impl Hub {
    /// A builder with the defaults: 256 buffered events per user, in-process
    /// subscriptions of 1,024 events, no agents.
    pub fn builder() -> HubBuilder {
        HubBuilder {
            config: HubConfig {
                replay_capacity: 256,
                subscriber_capacity: 1024,
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

    /// The names of the registered agents; the first is the default.
    pub fn agent_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.inner.agents.iter().map(|a| a.name())
    }
}

impl HubInner {
    /// The user's log, created on first use.
    pub(crate) fn user_log(&self, user: &UserId) -> Result<Arc<UserLog>, Error> {
        if self.closing.load(Ordering::Acquire) {
            return Err(Error::ShuttingDown);
        }
        let shard = self.hasher.hash_one(user) as usize % self.users.len();
        let mut users = self.users[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(match users.entry(user.clone()) {
            Entry::Occupied(e) => e.get().clone(),
            Entry::Vacant(e) => e
                .insert(Arc::new(UserLog::new(
                    user.clone(),
                    self.config.replay_capacity,
                )))
                .clone(),
        })
    }

    /// Forgets the logs nobody holds: no manager, bridge, run or connection.
    /// Returns how many were removed.
    pub(crate) fn sweep_idle(&self) -> usize {
        let mut removed = 0;
        for shard in self.users.iter() {
            let mut users = shard.lock().unwrap_or_else(PoisonError::into_inner);
            let before = users.len();
            users.retain(|_, log| !log.is_idle());
            removed += before - users.len();
        }
        removed
    }

    pub(crate) fn user_count(&self) -> usize {
        self.users
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
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
            .field("users", &self.inner.user_count())
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
    /// connections that open later (default 256; 0 keeps none).
    pub fn replay_capacity(mut self, events: usize) -> Self {
        self.config.replay_capacity = events;
        self
    }

    /// How many events an in-process [`Subscription`](crate::Subscription)
    /// may fall behind before it is dropped (default 1,024).
    pub fn subscriber_capacity(mut self, events: usize) -> Self {
        self.config.subscriber_capacity = events;
        self
    }

    /// Builds the hub, rejecting duplicate agent names and a zero
    /// subscriber capacity.
    pub fn build(self) -> Result<Hub, Error> {
        if self.config.subscriber_capacity == 0 {
            return Err(Error::config("subscriber_capacity must be at least 1"));
        }
        for (i, agent) in self.agents.iter().enumerate() {
            if self.agents[..i].iter().any(|a| a.name() == agent.name()) {
                return Err(Error::config(format!(
                    "two agents are named `{}`; agent names must be unique",
                    agent.name()
                )));
            }
        }
        Ok(Hub {
            inner: Arc::new(HubInner {
                config: self.config,
                hasher: RandomState::new(),
                users: (0..SHARDS).map(|_| Mutex::default()).collect(),
                agents: self.agents,
                closing: AtomicBool::new(false),
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
