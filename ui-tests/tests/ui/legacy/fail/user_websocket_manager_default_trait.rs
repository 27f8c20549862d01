// Removed in favour of one typed path, so it must not compile: a manager from `Default::default()`.
use agentwire::prelude::*;

fn main() {
    let _manager: UserWebSocketManager = Default::default();
}
