// A wire name is lowercase snake_case.
use agentwire::prelude::*;

#[agent_event(name = "Progress-Update")]
pub struct ProgressUpdate {
    pub percent: u8,
}


fn main() {}
