// Removed in favour of one typed path, so it must not compile: the `send_agent_*` family.
use agentwire::prelude::*;

async fn step(run: &Run) {
    run.send_agent_thinking(run.id(), "researcher", "Looking for GPU prices").await;
}

fn main() {}
