// #[agent_event] goes on a struct.
use agentwire::prelude::*;

#[agent_event]
pub fn progress_update() {}


fn main() {}
