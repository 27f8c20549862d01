// An agent name is a wire name.
use agentwire::prelude::*;

#[agent(name = "Research Bot")]
async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

fn main() {}
