//! The envelope around every agent event, in the order it is written:
//!
//! ```text
//! {"type":"tool_completed","seq":7                       head: the log, under its lock
//! ,"event_id":"evt_…"                                    tail: the emitter, outside it
//! ,"user_id":…,"thread_id":…,"run_id":…,"agent_name":…   the run's Identity, written once
//! ,"timestamp":"2026-11-22T10:00:00.123Z"
//! ,"payload":{…}}
//! ```
//!
//! The emitter writes the tail into a buffer its thread reuses ([`Scratch`]),
//! and the log copies it once into the frame behind the head
//! ([`push_frame`]), sized exactly, since frames stay in the replay buffer.
//! The payload is nested under `"payload"`, so a payload key can never
//! overwrite an envelope key.

use std::cell::Cell;
use std::time::SystemTime;

use super::json::{push_json, push_key, push_str, shorten, u64_digits};
use super::lifecycle::Lifecycle;
use super::payload::push_payload;
use super::time::{push_timestamp, unix_ms};
use crate::{Error, RunId, ThreadId, UserId};

/// The longest `agent_name` sent, in bytes, as for identifiers: a longer
/// one is cut for the whole run, so that every event of the run fits the
/// smallest `max_event_size`.
pub(crate) const MAX_AGENT_NAME: usize = crate::MAX_ID_LEN;

/// The largest scratch buffer a thread keeps between emits.
const SCRATCH_KEPT: usize = 64 * 1024;

const HEAD_OPEN: &[u8] = b"{\"type\":\"";
const HEAD_SEQ: &[u8] = b"\",\"seq\":";
const PAYLOAD_OPEN: &[u8] = b",\"payload\":{";
const CLOSE: &[u8] = b"}}";

/// The most bytes the log puts in front of an event's tail,
/// `{"type":"<event_type>","seq":<seq>`, counting `seq` at its longest
/// (20 digits) so that whether an event fits does not depend on it.
pub(crate) fn head_len(event_type: &str) -> usize {
    HEAD_OPEN.len() + event_type.len() + HEAD_SEQ.len() + 20
}

/// The exact length of the frame [`push_frame`] writes. A frame allocated
/// at exactly its length becomes shared bytes without a separate header.
#[inline]
pub(crate) fn frame_len(event_type: &str, seq: u64, tail_len: usize) -> usize {
    let digits = seq.checked_ilog10().unwrap_or(0) as usize + 1;
    HEAD_OPEN.len() + event_type.len() + HEAD_SEQ.len() + digits + tail_len
}

/// Writes a whole frame into `out`: the head with `seq`, then `tail`.
/// `out` needs at most [`head_len`] + `tail.len()` bytes.
#[inline]
pub(crate) fn push_frame(out: &mut Vec<u8>, event_type: &str, seq: u64, tail: &[u8]) {
    let (digits, from) = u64_digits(seq);
    for piece in [
        HEAD_OPEN,
        event_type.as_bytes(),
        HEAD_SEQ,
        &digits[from..],
        tail,
    ] {
        out.extend_from_slice(piece);
    }
}

/// Cuts a run's `agent_name` to [`MAX_AGENT_NAME`] bytes. Returns whether
/// it was cut (the run's first payload then says `truncated`).
pub(crate) fn fit_agent_name(agent_name: &mut String) -> bool {
    shorten(agent_name, MAX_AGENT_NAME)
}

/// Who every event of one run is about,
/// `,"user_id":..,"thread_id":..,"run_id":..,"agent_name":..`, written
/// once when the run starts.
pub(crate) struct Identity(Box<[u8]>);

impl Identity {
    /// `agent_name` is at most [`MAX_AGENT_NAME`] bytes ([`fit_agent_name`]).
    pub(crate) fn new(user: &UserId, thread: &ThreadId, run: &RunId, agent_name: &str) -> Self {
        let mut out = Vec::with_capacity(160);
        for (key, value) in [
            ("user_id", user.as_str()),
            ("thread_id", thread.as_str()),
            ("run_id", run.as_str()),
            ("agent_name", agent_name),
        ] {
            out.push(b',');
            push_key(&mut out, key);
            push_str(&mut out, value);
        }
        Identity(out.into_boxed_slice())
    }
}

/// A thread's buffer for writing tails, taken for one emit and given back
/// when dropped (unless it grew large).
///
/// Taken, not borrowed: a payload that emits while it serialises finds an
/// empty buffer and works on its own (so does an emit from a thread-local
/// destructor, once the buffer is gone).
pub(crate) struct Scratch(Vec<u8>);

thread_local! {
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

impl Scratch {
    #[inline]
    pub(crate) fn take() -> Self {
        let mut buf = SCRATCH.try_with(Cell::take).unwrap_or_default();
        buf.clear();
        Scratch(buf)
    }
}

impl Drop for Scratch {
    #[inline]
    fn drop(&mut self) {
        if self.0.capacity() <= SCRATCH_KEPT {
            let buf = std::mem::take(&mut self.0);
            let _ = SCRATCH.try_with(|scratch| scratch.set(buf));
        }
    }
}

/// An event's envelope without its head, within the size limit: what the
/// log appends.
pub(crate) struct Tail<'s> {
    event_type: &'static str,
    bytes: &'s [u8],
    unix_ms: u64,
}

impl<'s> Tail<'s> {
    /// Writes a lifecycle event. It cannot fail: its large fields are cut
    /// so that the whole envelope fits `limit` (see
    /// [the size limit](crate::events#the-size-limit)).
    #[inline]
    pub(crate) fn lifecycle<P: Lifecycle>(
        scratch: &'s mut Scratch,
        identity: &Identity,
        limit: usize,
        payload: &P,
    ) -> Self {
        let buf = &mut scratch.0;
        let now_ms = open(buf, identity);
        // The room the payload may take: the limit less the rest of the
        // envelope, counting the head the log writes at its longest.
        let room = limit.saturating_sub(head_len(P::TYPE) + buf.len() + CLOSE.len());
        push_payload(buf, room, payload.cut_before(), |p| payload.fields(p));
        buf.extend_from_slice(CLOSE);
        // The rest of a lifecycle envelope is bounded (ids of at most 256
        // bytes, a cut `agent_name`), well under the smallest limit.
        debug_assert!(
            head_len(P::TYPE) + buf.len() <= limit,
            "{}: {} bytes over {limit}",
            P::TYPE,
            head_len(P::TYPE) + buf.len()
        );
        Tail {
            event_type: P::TYPE,
            bytes: buf,
            unix_ms: now_ms,
        }
    }

    /// Writes a custom event, whose payload is `event`'s own JSON object.
    /// It is not cut to fit (its shape is its author's), so it fails with
    /// [`Error::EventTooLarge`] over `limit`, and with [`Error::Serialize`]
    /// when `event` does not serialise as a JSON object.
    pub(crate) fn custom<E: serde::Serialize + ?Sized>(
        scratch: &'s mut Scratch,
        identity: &Identity,
        limit: usize,
        event_type: &'static str,
        event: &E,
    ) -> Result<Self, Error> {
        let serialize = |source| Error::Serialize {
            event: event_type,
            source,
        };
        let buf = &mut scratch.0;
        let now_ms = open(buf, identity);
        // The event's object is written in place of our payload's `{`, so
        // its fields go inside ours.
        buf.pop();
        let start = buf.len();
        push_json(buf, event).map_err(serialize)?;
        if buf.get(start) != Some(&b'{') || buf.last() != Some(&b'}') {
            return Err(serialize(serde::ser::Error::custom(
                "an event must serialise as a JSON object",
            )));
        }
        buf.push(b'}');
        let size = head_len(event_type) + buf.len();
        if size > limit {
            return Err(Error::EventTooLarge {
                event: event_type,
                size,
                limit,
            });
        }
        Ok(Tail {
            event_type,
            bytes: buf,
            unix_ms: now_ms,
        })
    }

    /// The event's wire `type`.
    pub(crate) fn event_type(&self) -> &'static str {
        self.event_type
    }

    /// Everything of the envelope after `seq`, from `,"event_id":`.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes
    }

    /// When the event was emitted, as in its `timestamp`.
    pub(crate) fn unix_ms(&self) -> u64 {
        self.unix_ms
    }
}

/// Writes the tail up to and including the payload's `{`, stamped now;
/// returns the stamp in milliseconds since the Unix epoch.
#[inline]
fn open(buf: &mut Vec<u8>, identity: &Identity) -> u64 {
    let now_ms = unix_ms(SystemTime::now());
    buf.extend_from_slice(b",\"event_id\":\"");
    crate::id::write_fresh("evt", buf);
    buf.push(b'"');
    buf.extend_from_slice(&identity.0);
    buf.extend_from_slice(b",\"timestamp\":");
    push_timestamp(buf, now_ms);
    buf.extend_from_slice(PAYLOAD_OPEN);
    now_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_counted_is_the_longest_head_written() {
        let tail = br#","payload":{}}"#;
        for seq in [1, 9, 10, 12_345, u64::MAX / 7, u64::MAX] {
            let mut frame = Vec::new();
            push_frame(&mut frame, "agent_thinking", seq, tail);
            let frame = String::from_utf8(frame).unwrap();
            assert_eq!(
                frame,
                format!(r#"{{"type":"agent_thinking","seq":{seq},"payload":{{}}}}"#)
            );
            let digits = seq.to_string().len();
            assert_eq!(
                frame.len() + 20 - digits,
                head_len("agent_thinking") + tail.len()
            );
        }
    }

    #[test]
    fn a_custom_payload_must_be_an_object() {
        let identity = Identity::new(
            &UserId::new("alice").unwrap(),
            &ThreadId::new("t").unwrap(),
            &RunId::fresh(),
            "a",
        );
        let mut scratch = Scratch::take();
        let err = Tail::custom(&mut scratch, &identity, 1 << 20, "blob", &[1, 2])
            .err()
            .unwrap();
        assert!(
            matches!(err, Error::Serialize { event: "blob", .. }),
            "{err}"
        );
        let mut scratch = Scratch::take();
        let tail = Tail::custom(
            &mut scratch,
            &identity,
            1 << 20,
            "blob",
            &serde_json::json!({"a": 1}),
        )
        .ok()
        .unwrap();
        let mut frame = Vec::new();
        push_frame(&mut frame, tail.event_type(), 1, tail.as_bytes());
        let v: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        assert_eq!(v["payload"], serde_json::json!({"a": 1}));
        assert_eq!(v["user_id"], "alice");
    }
}
