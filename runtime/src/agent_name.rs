//! The name a run is started under: never empty, never only whitespace.

use std::fmt;
use std::sync::Arc;

use crate::Error;

/// An agent's name, as sent in every event's `agent_name`: validated when
/// built, so that no run starts under an empty or whitespace-only name.
///
/// `emit!(bridge, agent_started { agent_name: .. })` takes a string literal,
/// checked at compile time, or an `AgentName`; a name known only at run
/// time is validated first, and a blank one is an [`Error::InvalidId`]
/// rather than an event with an empty name:
///
/// ```
/// use agentwire::prelude::*;
///
/// # fn demo(bridge: &AgentBridge, configured: String) -> Result<(), agentwire::Error> {
/// let run = emit!(bridge, agent_started { agent_name: "researcher" });
/// emit!(run, agent_completed {});
///
/// let name = AgentName::new(configured)?;
/// let run = emit!(bridge, agent_started { agent_name: name });
/// emit!(run, agent_completed {});
/// # Ok(()) }
/// assert!(AgentName::new("researcher").is_ok());
/// assert!(AgentName::new(" ").is_err());
/// ```
///
/// A name longer than 256 bytes is accepted and cut when sent (see
/// [the size limit](crate::events#the-size-limit)).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentName(Arc<str>);

impl AgentName {
    /// Validates `name`: rejects an empty or whitespace-only name with
    /// [`Error::InvalidId`].
    pub fn new(name: impl AsRef<str>) -> Result<Self, Error> {
        let name = name.as_ref();
        let reason = if name.is_empty() {
            "it is empty"
        } else if name.trim().is_empty() {
            "it is only whitespace"
        } else {
            return Ok(AgentName(Arc::from(name)));
        };
        Err(Error::InvalidId {
            kind: "agent name",
            value: name.chars().take(64).collect(),
            reason,
        })
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `emit!`'s conversion of a non-literal `agent_name`.
    #[doc(hidden)]
    #[inline]
    pub fn __emit_field<N: IntoAgentName>(name: N) -> String {
        name.into_agent_name()
    }
}

/// What `agent_name` accepts besides a string literal: a validated name.
#[diagnostic::on_unimplemented(
    message = "`agent_name` takes a string literal or an `AgentName`, and `{Self}` is neither",
    label = "a name known at run time is validated first: `AgentName::new(name)?`",
    note = "`AgentName::new` returns `Err(agentwire::Error::InvalidId)` for an empty or whitespace-only name, so no run starts without a name; a literal such as `agent_name: \"researcher\"` is checked at compile time"
)]
#[doc(hidden)]
pub trait IntoAgentName {
    /// The name, as the event carries it.
    fn into_agent_name(self) -> String;
}

#[diagnostic::do_not_recommend]
impl IntoAgentName for AgentName {
    fn into_agent_name(self) -> String {
        String::from(&*self.0)
    }
}

#[diagnostic::do_not_recommend]
impl IntoAgentName for &AgentName {
    fn into_agent_name(self) -> String {
        String::from(&*self.0)
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgentName({:?})", &*self.0)
    }
}

impl AsRef<str> for AgentName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for AgentName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl TryFrom<&str> for AgentName {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for AgentName {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_names_are_typed_errors() {
        for blank in ["", " ", "\t\n"] {
            let err = AgentName::new(blank).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidId {
                        kind: "agent name",
                        ..
                    }
                ),
                "{err}"
            );
        }
        assert_eq!(
            AgentName::new("Research Bot").unwrap().as_str(),
            "Research Bot"
        );
    }
}
