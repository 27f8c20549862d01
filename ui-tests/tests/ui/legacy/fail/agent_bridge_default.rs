// Removed in favour of one typed path, so it must not compile: a bridge from `AgentBridge::default()`.
use agentwire::prelude::*;

fn main() {
    let _bridge = AgentBridge::default();
}
