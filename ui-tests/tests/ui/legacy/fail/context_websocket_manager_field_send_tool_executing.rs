// The context's removed manager, written as a field, with the emitter
// family's positional form: the message names the factory.
use agentwire::prelude::*;
use serde_json::json;

async fn step(context: UserExecutionContext, run_id: &str) {
    context
        .websocket_manager
        .send_tool_executing(run_id, "researcher", "search", json!({"q": "h100"}))
        .await;
}

fn main() {}
