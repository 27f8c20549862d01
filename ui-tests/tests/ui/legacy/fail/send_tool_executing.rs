// Removed in favour of one typed path, so it must not compile: the positional tool_executing sender.
use agentwire::prelude::*;
use serde_json::json;

async fn step(manager: &UserWebSocketManager, run_id: &str) {
    manager
        .send_tool_executing(run_id, "researcher", "search", json!({"q": "h100"}))
        .await;
}

fn main() {}
