// A handler takes exactly two parameters.
use agentwire::prelude::*;

#[agent]
async fn researcher(run: &Run, msg: UserMessage, depth: u8) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(format!("{} {depth}", msg.content))
}

fn main() {}
