// Item 5: constructing a bridge directly.
use agentwire::prelude::*;

fn connect(manager: &UserWebSocketManager) {
    let bridge = AgentBridge::new(manager);
    let _run = emit!(bridge, agent_started { agent_name: "researcher" });
}

fn main() {}
