// Item 12: agent_thinking needs a run, not a bridge.
use agentwire::prelude::*;

fn step(bridge: &AgentBridge) {
    emit!(bridge, agent_thinking { reasoning: "Looking for GPU prices" });
}

fn main() {}
