//! The wire format of agent events, in one place.
//!
//! Envelopes are written by hand into one buffer per event: every field is
//! either a validated identifier, a number, or a string escaped here, and
//! the payload is nested under `"payload"`, so a payload key can never
//! overwrite an envelope key.
//!
//! - [`envelope`] lays the envelope out: the head the log writes, the tail
//!   the emitter writes, and the size limit;
//! - [`lifecycle`] lists the five lifecycle payloads, field by field;
//! - [`payload`] cuts a lifecycle payload to fit;
//! - [`json`] escapes strings, writes numbers and cuts strings short;
//! - [`time`] writes the `timestamp`;
//! - [`status`] spells the statuses `tool_completed` and `agent_completed`
//!   carry.

mod envelope;
mod json;
pub(crate) mod lifecycle;
mod payload;
mod status;
mod time;

pub(crate) use envelope::{fit_agent_name, head_len, push_frame, Identity, Scratch, Tail};
pub(crate) use json::{push_str, push_u64};
pub use status::{RunStatus, ToolStatus};
pub(crate) use time::unix_ms;

#[cfg(test)]
pub(crate) use envelope::MAX_AGENT_NAME;
