// Item 5: a bridge from `AgentBridge::default()`.
use agentwire::prelude::*;

fn main() {
    let _bridge = AgentBridge::default();
}
