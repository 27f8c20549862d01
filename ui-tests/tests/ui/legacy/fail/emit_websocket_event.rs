// Item 8: the private emitter helper of earlier agents.
use agentwire::_emit_websocket_event;
use serde_json::json;

async fn step() {
    _emit_websocket_event("agent_thinking", json!({"thought": "..."})).await;
}

fn main() {}
