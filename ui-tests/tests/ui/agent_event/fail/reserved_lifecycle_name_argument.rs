// Custom events cannot take a lifecycle role, by `name` either.
use agentwire::prelude::*;

#[agent_event(name = "tool_completed")]
pub struct ToolDone {
    pub result: String,
}


fn main() {}
