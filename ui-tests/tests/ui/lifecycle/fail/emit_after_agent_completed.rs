// Removed in favour of one typed path, so it must not compile: nothing can be emitted after agent_completed.
use agentwire::prelude::*;

fn step(bridge: &AgentBridge) {
    let run = emit!(bridge, agent_started { agent_name: "researcher" });
    emit!(run, agent_completed {});
    emit!(run, agent_thinking { reasoning: "one more thing" });
}

fn main() {}
