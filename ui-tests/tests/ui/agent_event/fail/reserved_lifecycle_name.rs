// Custom events cannot take a lifecycle role.
use agentwire::prelude::*;

#[agent_event]
pub struct agent_thinking {
    pub reasoning: String,
}


fn main() {}
