// Item 8: the `send_agent_*` family.
use agentwire::prelude::*;

async fn step(run: &Run) {
    run.send_agent_thinking(run.id(), "researcher", "Looking for GPU prices").await;
}

fn main() {}
