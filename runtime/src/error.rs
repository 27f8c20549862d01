use std::fmt;

/// Everything that can go wrong in agentwire, with a message that says what
/// to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An identifier was empty, too long or contained control characters.
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidId {
        /// Which identifier, e.g. `user id`.
        kind: &'static str,
        /// The rejected value, shortened to 64 characters.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A custom event's payload could not be serialised; nothing was emitted.
    #[error("event `{event}` could not be serialised to JSON, so it was not emitted: {source}")]
    Serialize {
        /// The event's wire name.
        event: &'static str,
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
    /// A custom event's envelope would exceed the hub's
    /// [`max_event_size`](crate::HubBuilder::max_event_size); nothing was
    /// emitted.
    #[error("event `{event}` is {size} bytes as JSON, over the limit of {limit} bytes (`HubBuilder::max_event_size`), so it was not emitted")]
    EventTooLarge {
        /// The event's wire name.
        event: &'static str,
        /// The size of its envelope in bytes, counting `seq` at its longest
        /// (20 digits).
        size: usize,
        /// The hub's `max_event_size`.
        limit: usize,
    },
    /// The run had already ended (it was cancelled, or its time budget ran
    /// out) when a custom event was emitted on it; nothing was emitted.
    #[error(
        "event `{event}` was not emitted: its run has ended (cancelled, or out of its time budget)"
    )]
    RunEnded {
        /// The event's wire name.
        event: &'static str,
    },
    /// A builder was given a value it cannot work with.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An I/O error, e.g. while binding or accepting.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn config(msg: impl fmt::Display) -> Self {
        Error::Config(msg.to_string())
    }
}
