// A manager is not a bridge.
use agentwire::prelude::*;

fn start(manager: &UserWebSocketManager) {
    let _run = emit!(manager, agent_started { agent_name: "researcher" });
}

fn main() {}
