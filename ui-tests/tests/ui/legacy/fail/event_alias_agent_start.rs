// Item 10: `agent_start`, an event name of earlier designs.
use agentwire::prelude::*;

fn step(bridge: AgentBridge) {
    let _ = emit!(bridge, agent_start { agent_name: "researcher" });
}

fn main() {}
