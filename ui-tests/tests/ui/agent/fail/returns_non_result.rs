// A handler returns a Result.
use agentwire::prelude::*;

#[agent]
async fn researcher(run: &Run, msg: UserMessage) -> String {
    emit!(run, agent_thinking { reasoning: "reading" });
    msg.content
}

fn main() {}
