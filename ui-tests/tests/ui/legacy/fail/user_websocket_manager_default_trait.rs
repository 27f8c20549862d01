// Item 5: a manager from `Default::default()`.
use agentwire::prelude::*;

fn main() {
    let _manager: UserWebSocketManager = Default::default();
}
