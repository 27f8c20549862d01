// The context's removed bridge, written as a field, is a tombstone whose
// message names the factory and `bridge()`.
use agentwire::prelude::*;
use serde_json::json;

async fn step(ctx: &UserExecutionContext) {
    let data = json!({"tool_name": "search"});
    ctx.websocket_bridge.emit_agent_event("tool_executing", data).await;
}

fn main() {}
