// Removed in favour of one typed path, so it must not compile: a factory of one's own instead of the hub's.
use agentwire::prelude::*;

fn main() {
    let _factory = WebSocketManagerFactory::new();
}
