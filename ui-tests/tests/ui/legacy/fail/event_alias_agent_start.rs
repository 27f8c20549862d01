// Removed in favour of one typed path, so it must not compile: `agent_start`, an event name of earlier designs.
use agentwire::prelude::*;

fn step(bridge: AgentBridge) {
    let _ = emit!(bridge, agent_start { agent_name: "researcher" });
}

fn main() {}
