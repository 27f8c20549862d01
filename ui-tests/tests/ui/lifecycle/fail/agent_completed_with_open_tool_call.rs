// Removed in favour of one typed path, so it must not compile: a run cannot complete while one of its tool calls is open.
use agentwire::prelude::*;
use serde_json::json;

fn step(bridge: &AgentBridge) {
    let run = emit!(bridge, agent_started { agent_name: "researcher" });
    let call = emit!(run, tool_executing { tool_name: "search" });
    emit!(run, agent_completed { result: json!({"answer": 3}) });
    emit!(call, tool_completed { result: json!({"hits": 3}) });
}

fn main() {}
