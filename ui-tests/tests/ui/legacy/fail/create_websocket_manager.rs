// Removed in favour of one typed path, so it must not compile: an async manager accessor of earlier designs.
use agentwire::create_websocket_manager;
use agentwire::prelude::*;

async fn connect(ctx: UserExecutionContext) {
    let manager = create_websocket_manager(&ctx).await;
    let _bridge = manager.bridge();
}

fn main() {}
