// Removed in favour of one typed path, so it must not compile: the user emitter's `notify_*` family.
use agentwire::prelude::*;

async fn step(user_emitter: &AgentBridge, run_id: &str) {
    user_emitter.notify_agent_started(run_id, "researcher").await;
}

fn main() {}
