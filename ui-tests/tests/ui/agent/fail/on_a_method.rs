// #[agent] goes on a free function.
use agentwire::prelude::*;

pub struct Researcher;

impl Researcher {
    #[agent]
    async fn handle(&self, msg: UserMessage) -> Result<String, AgentError> {
        Ok(msg.content)
    }
}

fn main() {}
