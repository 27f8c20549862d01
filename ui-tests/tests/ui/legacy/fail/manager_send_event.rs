// Removed in favour of one typed path, so it must not compile: a string-typed event sent through the manager.
use agentwire::prelude::*;
use serde_json::json;

async fn step(manager: &UserWebSocketManager) {
    let data = json!({"tool_name": "search", "parameters": {"q": "h100"}});
    manager.send_event("tool_executing", data).await;
}

fn main() {}
