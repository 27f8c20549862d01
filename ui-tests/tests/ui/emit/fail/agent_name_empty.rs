// A run cannot start under an empty agent name: a literal is checked at
// compile time.
use agentwire::prelude::*;

fn start(bridge: &AgentBridge) -> Run {
    emit!(bridge, agent_started { agent_name: "" })
}

fn main() {}
