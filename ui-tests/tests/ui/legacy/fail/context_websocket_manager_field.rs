// The context's removed manager, written as a field, is a tombstone whose
// message names the factory rather than rustc's "method, not a field".
use agentwire::prelude::*;
use serde_json::json;

async fn step(ctx: &UserExecutionContext) {
    let data = json!({"tool_name": "search"});
    ctx.websocket_manager.send_event("tool_executing", data).await;
}

fn main() {}
