// Removed in favour of one typed path, so it must not compile: a manager from a struct literal.
use agentwire::prelude::*;

fn connect(ctx: UserExecutionContext) {
    let _manager = UserWebSocketManager { ctx };
}

fn main() {}
