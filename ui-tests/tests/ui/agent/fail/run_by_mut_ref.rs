// The run is borrowed shared.
use agentwire::prelude::*;

#[agent]
async fn researcher(run: &mut Run, msg: UserMessage) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

fn main() {}
