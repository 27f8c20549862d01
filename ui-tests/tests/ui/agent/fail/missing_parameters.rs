// A handler takes the run and the message.
use agentwire::prelude::*;

#[agent]
async fn researcher() -> Result<String, AgentError> {
    Ok(String::new())
}

fn main() {}
