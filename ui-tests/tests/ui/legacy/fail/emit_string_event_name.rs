// Removed in favour of one typed path, so it must not compile: a string event name inside `emit!`.
use agentwire::prelude::*;
use serde_json::json;

fn start(bridge: &AgentBridge) {
    let data = json!({"agent_name": "researcher"});
    emit!(bridge, "agent_started", data);
}

fn main() {}
