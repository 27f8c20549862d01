// A tool call belongs to a run, not to a bridge.
use agentwire::prelude::*;

fn step(bridge: &AgentBridge) {
    let _call = emit!(bridge, tool_executing { tool_name: "search" });
}

fn main() {}
