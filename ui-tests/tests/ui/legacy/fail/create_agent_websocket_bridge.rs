// Removed in favour of one typed path, so it must not compile: a bridge made from a manager without a user context.
use agentwire::create_agent_websocket_bridge;
use agentwire::prelude::*;

fn start(manager: UserWebSocketManager) {
    let bridge = create_agent_websocket_bridge(manager);
    let _run = emit!(bridge, agent_started { agent_name: "researcher" });
}

fn main() {}
