// A run budget per agent: `ms`, `s`, `m` or `h`.
use agentwire::prelude::*;

#[agent(name = "researcher", timeout = "30s")]
async fn researcher(run: &Run, msg: UserMessage) -> Result<String, AgentError> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

#[agent(timeout = "250ms", name = "quick")]
async fn quick(_run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    Ok(())
}

fn main() {
    assert_eq!(researcher.name(), "researcher");
    assert_eq!(quick.name(), "quick");
}
