// Item 5: constructing a run directly.
use agentwire::prelude::*;

fn start(bridge: &AgentBridge) {
    let run = Run::new(bridge);
    emit!(run, agent_thinking { reasoning: "..." });
}

fn main() {}
