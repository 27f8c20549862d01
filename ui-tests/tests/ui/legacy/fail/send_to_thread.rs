// Removed in favour of one typed path, so it must not compile: routing by thread id.
use agentwire::prelude::*;
use serde_json::json;

async fn reply(manager: &UserWebSocketManager, thread_id: ThreadId) {
    manager.send_to_thread(thread_id, json!({"type": "agent_thinking"})).await;
}

fn main() {}
