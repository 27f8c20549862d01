// Item 8: the user emitter's `notify_*` family.
use agentwire::prelude::*;

async fn step(user_emitter: &AgentBridge, run_id: &str) {
    user_emitter.notify_agent_started(run_id, "researcher").await;
}

fn main() {}
