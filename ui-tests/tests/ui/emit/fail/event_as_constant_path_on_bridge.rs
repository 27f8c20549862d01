// An event given as a constant's path on a bridge: the path is quoted as
// written (`EVENTS::STARTED`) and the bridge's event is named.
use agentwire::prelude::*;
use serde_json::json;

#[allow(non_snake_case)]
mod EVENTS {
    pub const STARTED: &str = "agent_started";
}

fn start(bridge: &AgentBridge) {
    emit!(bridge, EVENTS::STARTED, json!({"agent_name": "researcher"}));
}

fn main() {}
