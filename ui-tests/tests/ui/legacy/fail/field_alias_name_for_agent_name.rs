// Removed in favour of one typed path, so it must not compile: `name`, a field name of earlier designs.
use agentwire::prelude::*;

fn step(bridge: &AgentBridge) {
    let _run = emit!(bridge, agent_started { name: "researcher" });
}

fn main() {}
