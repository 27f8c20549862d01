// The run is borrowed: #[agent] owns it.
use agentwire::prelude::*;

#[agent]
async fn researcher(run: Run, msg: UserMessage) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

fn main() {}
