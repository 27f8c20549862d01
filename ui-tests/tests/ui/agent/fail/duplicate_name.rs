// `name` is given once.
use agentwire::prelude::*;

#[agent(name = "researcher", name = "analyst")]
async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

fn main() {}
