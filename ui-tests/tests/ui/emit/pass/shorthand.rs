// Every emit! shorthand: field init shorthand, trailing commas, optional
// fields left out or given, borrowed and owned text, `&run` and `run`, and an
// agent name validated at run time.
use agentwire::prelude::*;
use serde_json::json;

fn shorthand(bridge: AgentBridge) {
    let agent_name = AgentName::new(String::from("researcher")).unwrap();
    let run = emit!(bridge, agent_started { agent_name });
    let run2 = emit!(&bridge, agent_started { agent_name: "second", message: "on it", },);

    let reasoning = "Comparing offers";
    emit!(run, agent_thinking { reasoning });
    emit!(&run, agent_thinking { reasoning, step_number: 2u32, progress_percentage: 50.0 });
    emit!(run, agent_thinking { reasoning: String::from("owned"), });
    let text = String::from("borrowed");
    emit!(run, agent_thinking { reasoning: &text });

    let tool_name = "search";
    let parameters = json!({"q": "h100"});
    let call = emit!(run, tool_executing { tool_name, parameters });
    let result = json!({"hits": 3});
    emit!(call, tool_completed { result });
    let call = emit!(run, tool_executing { tool_name: "prices", });
    emit!(call, tool_completed { result: "plain text", error: "and an error" },);

    emit!(run2, agent_completed {});
    let error = "no offers found";
    emit!(run, agent_completed { error, });
}

fn main() {
    let _ = shorthand;
}
