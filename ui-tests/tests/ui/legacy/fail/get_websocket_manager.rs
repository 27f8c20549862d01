// Removed in favour of one typed path, so it must not compile: a sync manager accessor of earlier designs.
use agentwire::get_websocket_manager;
use agentwire::prelude::*;

async fn connect(ctx: UserExecutionContext) {
    let manager = get_websocket_manager(&ctx);
    let _bridge = manager.bridge();
}

fn main() {}
