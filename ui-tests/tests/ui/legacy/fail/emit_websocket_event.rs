// Removed in favour of one typed path, so it must not compile: the private emitter helper of earlier agents.
use agentwire::_emit_websocket_event;
use serde_json::json;

async fn step() {
    _emit_websocket_event("agent_thinking", json!({"thought": "..."})).await;
}

fn main() {}
