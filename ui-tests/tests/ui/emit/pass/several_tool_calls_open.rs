// Several tool calls may be open at once, and close in any order.
use agentwire::prelude::*;
use serde_json::json;

fn fan_out(bridge: &AgentBridge) {
    let run = emit!(bridge, agent_started { agent_name: "researcher" });
    let search = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": "h100"}) });
    let prices = emit!(run, tool_executing { tool_name: "prices" });
    let stock = emit!(run, tool_executing { tool_name: "stock" });
    emit!(prices, tool_completed { error: "upstream timed out" });
    emit!(search, tool_completed { result: json!({"hits": 3}) });
    emit!(stock, tool_completed {});
    emit!(run, agent_completed { result: json!({"answer": "3 offers"}) });
}

#[agent]
async fn parallel(run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    let a = emit!(run, tool_executing { tool_name: "a" });
    let b = emit!(run, tool_executing { tool_name: "b" });
    emit!(b, tool_completed {});
    emit!(a, tool_completed {});
    Ok(())
}

fn main() {
    let _ = (fan_out, parallel);
}
