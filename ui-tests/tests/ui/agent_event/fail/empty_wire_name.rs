// A wire name is not empty.
use agentwire::prelude::*;

#[agent_event(name = "")]
pub struct ProgressUpdate {
    pub percent: u8,
}


fn main() {}
