// An event given as a string on something that is no emit target: the
// message names the three targets and where a bridge comes from.
use agentwire::prelude::*;
use serde_json::json;

fn step(manager: &UserWebSocketManager) {
    emit!(manager, "agent_started", json!({"agent_name": "researcher"}));
}

fn main() {}
