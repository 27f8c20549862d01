// Removed in favour of one typed path, so it must not compile: routing by user id, to another user.
use agentwire::prelude::*;
use serde_json::json;

async fn reply(bridge: &AgentBridge, other_user: UserId) {
    bridge.send_to_user(other_user, json!({"type": "agent_thinking"})).await;
}

fn main() {}
