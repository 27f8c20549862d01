// A name known only at run time must be validated into an `AgentName`
// first; a plain `String` gets a message saying how.
use agentwire::prelude::*;

fn start(bridge: &AgentBridge, configured: String) -> Run {
    emit!(bridge, agent_started { agent_name: configured })
}

fn main() {}
