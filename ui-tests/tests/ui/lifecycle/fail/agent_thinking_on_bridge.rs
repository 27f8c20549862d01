// Removed in favour of one typed path, so it must not compile: agent_thinking needs a run, not a bridge.
use agentwire::prelude::*;

fn step(bridge: &AgentBridge) {
    emit!(bridge, agent_thinking { reasoning: "Looking for GPU prices" });
}

fn main() {}
