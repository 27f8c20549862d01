// Item 9: a string event name inside `emit!`.
use agentwire::prelude::*;
use serde_json::json;

fn start(bridge: &AgentBridge) {
    let data = json!({"agent_name": "researcher"});
    emit!(bridge, "agent_started", data);
}

fn main() {}
