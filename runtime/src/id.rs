//! Identifiers: distinct newtypes, validated at construction, cheap to clone.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::Error;

/// The longest identifier accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

fn validate(kind: &'static str, value: &str) -> Result<(), Error> {
    let reason = if value.is_empty() {
        "it is empty"
    } else if value.len() > MAX_ID_LEN {
        "it is longer than 256 bytes"
    } else if value.chars().any(char::is_control) {
        "it contains control characters"
    } else if value.trim() != value {
        "it has leading or trailing whitespace"
    } else {
        return Ok(());
    };
    Err(Error::InvalidId {
        kind,
        value: value.chars().take(64).collect(),
        reason,
    })
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            #[doc = concat!("Validates `value` as a ", $kind, ".")]
            ///
            /// Rejects empty values, values over 256 bytes, control characters
            /// and surrounding whitespace with [`Error::InvalidId`].
            ///
            /// ```
            #[doc = concat!("use agentwire::", stringify!($name), ";")]
            #[doc = concat!("let id = ", stringify!($name), "::new(\"", $example, "\")?;")]
            #[doc = concat!("assert_eq!(id.as_str(), \"", $example, "\");")]
            #[doc = concat!("assert!(", stringify!($name), "::new(\"\").is_err());")]
            /// # Ok::<(), agentwire::Error>(())
            /// ```
            pub fn new(value: impl AsRef<str>) -> Result<Self, Error> {
                let value = value.as_ref();
                validate($kind, value)?;
                Ok(Self(Arc::from(value)))
            }

            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

id_type!(
    /// The user an event belongs to: the JWT `sub` on the wire, and the only
    /// key events are routed by.
    UserId, "user id", "alice"
);
id_type!(
    /// A conversation thread of a user.
    ThreadId, "thread id", "thread-1"
);
id_type!(
    /// One run of an agent, from `agent_started` to `agent_completed`.
    RunId, "run id", "run_4f2a"
);
id_type!(
    /// One tool call, from `tool_executing` to `tool_completed`.
    ToolCallId, "tool call id", "call_4f2a"
);
id_type!(
    /// One WebSocket connection (one browser tab).
    ConnectionId, "connection id", "conn_4f2a"
);
id_type!(
    /// An optional request id carried by a [`UserExecutionContext`](crate::UserExecutionContext),
    /// for correlating logs.
    RequestId, "request id", "req-17"
);

/// Unique within the process: a random per-process key mixed with a counter
/// through a bijection, so ids never repeat and do not reveal the counter.
fn next_raw() -> (u64, u64) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEY: OnceLock<(u64, u64)> = OnceLock::new();
    let &(k1, k2) = KEY.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        let a = h.finish();
        h.write_u64(a);
        (a, h.finish())
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (splitmix(n ^ k1), splitmix(n.wrapping_add(k2)))
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The two lowercase hex digits of each byte.
static HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = [HEX[b >> 4], HEX[b & 0xf]];
        b += 1;
    }
    table
};

/// Writes a fresh id (`<prefix>_<32 hex digits>`) into `out`.
pub(crate) fn write_fresh(prefix: &str, out: &mut Vec<u8>) {
    let (a, b) = next_raw();
    let digits = hex_digits(a, b);
    out.reserve(prefix.len() + 33);
    out.extend_from_slice(prefix.as_bytes());
    out.push(b'_');
    out.extend_from_slice(&digits);
}

/// `a` then `b` as 32 hex digits: two digits per table read, most
/// significant byte first.
fn hex_digits(a: u64, b: u64) -> [u8; 32] {
    let mut digits = [0u8; 32];
    let bytes = (u128::from(a) << 64 | u128::from(b)).to_be_bytes();
    for (pair, byte) in digits.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
    }
    digits
}

pub(crate) fn fresh(prefix: &str) -> Arc<str> {
    let mut buf = Vec::with_capacity(prefix.len() + 33);
    write_fresh(prefix, &mut buf);
    // Only ASCII was written.
    Arc::from(std::str::from_utf8(&buf).unwrap_or_default())
}

impl RunId {
    pub(crate) fn fresh() -> Self {
        RunId(fresh("run"))
    }
}

impl ToolCallId {
    pub(crate) fn fresh() -> Self {
        ToolCallId(fresh("call"))
    }
}

impl ConnectionId {
    pub(crate) fn fresh() -> Self {
        ConnectionId(fresh("conn"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_values_with_reasons() {
        for (value, reason) in [
            ("", "it is empty"),
            ("a\nb", "it contains control characters"),
            (" alice", "it has leading or trailing whitespace"),
        ] {
            match UserId::new(value) {
                Err(Error::InvalidId {
                    kind, reason: r, ..
                }) => {
                    assert_eq!(kind, "user id");
                    assert_eq!(r, reason);
                }
                other => panic!("{value:?} gave {other:?}"),
            }
        }
        let long = "x".repeat(MAX_ID_LEN + 1);
        let err = ThreadId::new(&long).unwrap_err();
        assert!(err.to_string().contains("longer than 256 bytes"), "{err}");
        assert!(ThreadId::new("x".repeat(MAX_ID_LEN)).is_ok());
    }

    #[test]
    fn hex_digits_are_both_words_in_order() {
        for (a, b) in [
            (0, u64::MAX),
            (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
        ] {
            let digits = hex_digits(a, b);
            assert_eq!(
                std::str::from_utf8(&digits).unwrap(),
                format!("{a:016x}{b:016x}")
            );
        }
    }

    #[test]
    fn fresh_ids_are_unique() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|_| RunId::fresh()).collect();
        assert_eq!(ids.len(), 10_000);
        let id = ToolCallId::fresh();
        assert!(
            id.as_str().starts_with("call_") && id.as_str().len() == 37,
            "{id}"
        );
    }
}
