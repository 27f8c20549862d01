// The result is sent as JSON: it must be Serialize.
use agentwire::prelude::*;

pub struct Answer;

#[agent]
async fn researcher(run: &Run, _msg: UserMessage) -> Result<Answer, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(Answer)
}

fn main() {}
