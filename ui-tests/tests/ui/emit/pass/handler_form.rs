// The README's handler form compiles exactly as written.
use agentwire::prelude::*;
use serde_json::json;

async fn search(query: &str) -> Vec<String> {
    vec![query.to_owned()]
}

#[agent(name = "researcher")]
async fn researcher(run: &Run, msg: UserMessage) -> Result<serde_json::Value, AgentError> {
    emit!(run, agent_thinking { reasoning: format!("Reading: {}", msg.content) });
    let call = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": msg.content}) });
    let hits = search(&msg.content).await;
    emit!(call, tool_completed { result: json!(hits) });
    Ok(json!({ "answer": hits.len() }))
}

fn main() {
    let _hub = Hub::builder().agent(researcher).build();
    assert_eq!(researcher.name(), "researcher");
}
