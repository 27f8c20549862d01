// Removed in favour of one typed path, so it must not compile: the emitter factory of earlier designs.
use agentwire::prelude::*;
use agentwire::WebSocketBridgeFactory;

async fn start(ctx: &UserExecutionContext) {
    let user_emitter = WebSocketBridgeFactory::create_user_emitter(ctx).await;
    user_emitter.notify_agent_started("run-1", "researcher").await;
}

fn main() {}
