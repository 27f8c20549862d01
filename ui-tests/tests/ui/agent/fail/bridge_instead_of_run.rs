// A handler gets the run, not the bridge.
use agentwire::prelude::*;

#[agent]
async fn researcher(bridge: &AgentBridge, msg: UserMessage) -> Result<String, AgentError> {
    let _ = bridge;
    Ok(msg.content)
}

fn main() {}
