// The second parameter is the user's message.
use agentwire::prelude::*;

#[agent]
async fn researcher(run: &Run, msg: String) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg)
}

fn main() {}
