// A timeout is a whole number and a unit, checked at compile time.
use agentwire::prelude::*;

#[agent(name = "researcher", timeout = "30 seconds")]
async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

fn main() {}
