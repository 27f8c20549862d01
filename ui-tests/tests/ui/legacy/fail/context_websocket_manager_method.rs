// Removed in favour of one typed path, so it must not compile: emitting through the context's manager, written as a method.
use agentwire::prelude::*;
use serde_json::json;

async fn step(ctx: &UserExecutionContext) {
    let data = json!({"tool_name": "search"});
    ctx.websocket_manager().send_event("tool_executing", data).await;
}

fn main() {}
