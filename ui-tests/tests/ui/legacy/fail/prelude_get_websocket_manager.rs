use agentwire::prelude::*;

async fn demo(ctx: UserExecutionContext) {
    let _manager = get_websocket_manager(&ctx);
}

fn main() {}
