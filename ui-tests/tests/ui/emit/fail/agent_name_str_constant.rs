// A `&str` constant is not a literal: it is validated like any other name.
use agentwire::prelude::*;

const NAME: &str = "researcher";

fn start(bridge: &AgentBridge) -> Run {
    emit!(bridge, agent_started { agent_name: NAME, message: "on it" })
}

fn main() {}
