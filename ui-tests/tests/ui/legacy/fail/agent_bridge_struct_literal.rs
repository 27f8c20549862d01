// Item 5: a bridge from a struct literal.
use agentwire::prelude::*;

fn main() {
    let _bridge = AgentBridge {};
}
