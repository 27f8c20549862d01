// Removed in favour of one typed path, so it must not compile: constructing a run directly.
use agentwire::prelude::*;

fn start(bridge: &AgentBridge) {
    let run = Run::new(bridge);
    emit!(run, agent_thinking { reasoning: "..." });
}

fn main() {}
