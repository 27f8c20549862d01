// `name` takes a value.
use agentwire::prelude::*;

#[agent(name)]
async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

fn main() {}
