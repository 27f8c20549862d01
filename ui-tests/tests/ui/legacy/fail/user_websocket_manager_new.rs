// Removed in favour of one typed path, so it must not compile: constructing a manager directly.
use agentwire::prelude::*;

fn connect(ctx: UserExecutionContext) {
    let manager = UserWebSocketManager::new(ctx);
    let _bridge = manager.bridge();
}

fn main() {}
