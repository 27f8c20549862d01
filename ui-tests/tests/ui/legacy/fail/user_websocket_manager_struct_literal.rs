// Item 5: a manager from a struct literal.
use agentwire::prelude::*;

fn connect(ctx: UserExecutionContext) {
    let _manager = UserWebSocketManager { ctx };
}

fn main() {}
