// Removed in favour of one typed path, so it must not compile: a string-typed event name on the bridge.
use agentwire::prelude::*;
use serde_json::json;

async fn step(bridge: &AgentBridge) {
    let data = json!({"tool_name": "search", "parameters": {"q": "h100"}});
    bridge.emit_agent_event("tool_executing", data).await;
}

fn main() {}
