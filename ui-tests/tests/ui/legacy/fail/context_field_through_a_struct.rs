// The context's removed manager reached through a struct that holds the
// context, as agents of earlier designs did with `self.context`.
use agentwire::prelude::*;

struct Researcher {
    context: UserExecutionContext,
}

impl Researcher {
    async fn think(&self) {
        self.context.websocket_manager.notify_agent_thinking("run-1", "researcher", "reading").await;
    }
}

fn main() {}
