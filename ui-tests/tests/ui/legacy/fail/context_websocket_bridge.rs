// Removed in favour of one typed path, so it must not compile: the context's bridge of earlier designs.
use agentwire::prelude::*;
use serde_json::json;

async fn step(ctx: &UserExecutionContext) {
    let data = json!({"tool_name": "search"});
    ctx.websocket_bridge().emit_agent_event("tool_executing", data).await;
}

fn main() {}
