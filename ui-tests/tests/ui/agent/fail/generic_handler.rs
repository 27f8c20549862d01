// One handler is one agent.
use agentwire::prelude::*;

#[agent]
async fn researcher<M: Into<UserMessage>>(run: &Run, msg: M) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.into().content)
}

fn main() {}
