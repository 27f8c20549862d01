// A whitespace-only agent name is as empty as "".
use agentwire::prelude::*;

fn start(bridge: &AgentBridge) -> Run {
    emit!(bridge, agent_started { agent_name: " \t" })
}

fn main() {}
