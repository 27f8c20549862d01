// Removed in favour of one typed path, so it must not compile: a sync manager accessor of earlier designs.
use agentwire::create_websocket_manager_sync;
use agentwire::prelude::*;

async fn connect(ctx: UserExecutionContext) {
    let manager = create_websocket_manager_sync(&ctx);
    let _bridge = manager.bridge();
}

fn main() {}
