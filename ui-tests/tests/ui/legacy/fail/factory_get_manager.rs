// Removed in favour of one typed path, so it must not compile: the sync variant of the factory.
use agentwire::prelude::*;

fn connect(factory: &WebSocketManagerFactory, ctx: &UserExecutionContext) {
    let manager = factory.get_manager(ctx);
    let _bridge = manager.bridge();
}

fn main() {}
