// The error becomes the run's error text: it must be Display.
use agentwire::prelude::*;

#[derive(Debug)]
pub struct Oops;

#[agent]
async fn researcher(run: &Run, msg: UserMessage) -> Result<String, Oops> {
    emit!(run, agent_thinking { reasoning: "reading" });
    Ok(msg.content)
}

fn main() {}
