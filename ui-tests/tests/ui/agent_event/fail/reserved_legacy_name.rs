// Legacy names of lifecycle events are reserved too.
use agentwire::prelude::*;

#[agent_event]
pub struct tool_result {
    pub result: String,
}


fn main() {}
