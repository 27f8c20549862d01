// Item 6: emitting through the context's manager, written as a field.
use agentwire::prelude::*;
use serde_json::json;

async fn step(ctx: &UserExecutionContext) {
    let data = json!({"tool_name": "search"});
    ctx.websocket_manager.send_event("tool_executing", data).await;
}

fn main() {}
