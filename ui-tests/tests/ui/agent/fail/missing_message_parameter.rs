// A handler also takes the message.
use agentwire::prelude::*;

#[agent]
async fn researcher(run: &Run) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(String::new())
}

fn main() {}
