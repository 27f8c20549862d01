// A handler returns a Result, even an empty one.
use agentwire::prelude::*;

#[agent]
async fn researcher(run: &Run, _msg: UserMessage) {
    emit!(run, agent_thinking { reasoning: "reading" });
}

fn main() {}
