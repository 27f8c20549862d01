// Removed in favour of one typed path, so it must not compile: #[agent] ends the run itself.
use agentwire::prelude::*;
use serde_json::json;

#[agent(name = "researcher")]
async fn researcher(run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    emit!(run, agent_completed { result: json!({"answer": 3}) });
    Ok(())
}

fn main() {}
