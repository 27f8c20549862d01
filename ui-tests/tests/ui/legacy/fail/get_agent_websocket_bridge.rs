// Removed in favour of one typed path, so it must not compile: the singleton bridge.
use agentwire::get_agent_websocket_bridge;
use agentwire::prelude::*;

fn start() {
    let bridge = get_agent_websocket_bridge();
    let _run = emit!(bridge, agent_started { agent_name: "researcher" });
}

fn main() {}
