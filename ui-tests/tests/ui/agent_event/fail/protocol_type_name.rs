// Wire protocol message types are reserved.
use agentwire::prelude::*;

#[agent_event(name = "pong")]
pub struct Pong {
    pub at: u64,
}


fn main() {}
