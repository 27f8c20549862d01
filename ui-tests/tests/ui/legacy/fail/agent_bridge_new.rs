// Removed in favour of one typed path, so it must not compile: constructing a bridge directly.
use agentwire::prelude::*;

fn connect(manager: &UserWebSocketManager) {
    let bridge = AgentBridge::new(manager);
    let _run = emit!(bridge, agent_started { agent_name: "researcher" });
}

fn main() {}
