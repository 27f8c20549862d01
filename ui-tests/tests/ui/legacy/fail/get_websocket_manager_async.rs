// Removed in favour of one typed path, so it must not compile: an async manager accessor of earlier designs.
use agentwire::get_websocket_manager_async;
use agentwire::prelude::*;

async fn connect(ctx: UserExecutionContext) {
    let manager = get_websocket_manager_async(&ctx).await;
    let _bridge = manager.bridge();
}

fn main() {}
