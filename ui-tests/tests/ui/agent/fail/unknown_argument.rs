// #[agent] takes `name` and `crate`.
use agentwire::prelude::*;

#[agent(nmae = "researcher")]
async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

fn main() {}
