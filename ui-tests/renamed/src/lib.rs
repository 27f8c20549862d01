//! Every macro form, used through a renamed `agentwire` dependency (`aw`).
//! Nothing here names `agentwire`: if an expansion did, this would not
//! compile.

use aw::{AgentBridge, AgentError, Run, UserMessage};
use serde_json::json;

/// A custom event declared through the renamed facade.
#[aw::agent_event(crate = ::aw)]
pub struct progress_update {
    /// How far the run is.
    pub percent: u8,
    /// An optional remark.
    pub note: Option<String>,
}

/// An agent declared through the renamed facade.
#[aw::agent(name = "researcher", crate = ::aw)]
pub async fn researcher(run: &Run, msg: UserMessage) -> Result<serde_json::Value, AgentError> {
    aw::emit!(
        run,
        agent_thinking {
            reasoning: format!("Reading: {}", msg.content)
        }
    );
    let call = aw::emit!(
        run,
        tool_executing {
            tool_name: "search",
            parameters: json!({"q": msg.content})
        }
    );
    aw::emit!(
        call,
        tool_completed {
            result: json!({"hits": 3})
        }
    );
    aw::emit!(run, progress_update { percent: 100 })?;
    Ok(json!({ "answer": 3 }))
}

/// The five lifecycle events and a custom one, by hand.
pub fn every_event(bridge: &AgentBridge) -> Result<(), aw::Error> {
    let run = aw::emit!(
        bridge,
        agent_started {
            agent_name: "researcher"
        }
    );
    aw::emit!(
        run,
        agent_thinking {
            reasoning: "Looking for GPU prices"
        }
    );
    let call = aw::emit!(
        run,
        tool_executing {
            tool_name: "search"
        }
    );
    aw::emit!(
        call,
        tool_completed {
            result: json!({"hits": 3})
        }
    );
    aw::emit!(
        run,
        progress_update {
            percent: 50,
            note: "halfway"
        }
    )?;
    aw::emit!(
        run,
        agent_completed {
            result: json!({"answer": 3})
        }
    );
    Ok(())
}
