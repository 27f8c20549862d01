// One struct per event, not a union.
use agentwire::prelude::*;

#[agent_event]
pub union progress {
    percent: u8,
    ratio: f32,
}


fn main() {}
