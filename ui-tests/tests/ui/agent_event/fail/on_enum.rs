// One struct per event, not an enum.
use agentwire::prelude::*;

#[agent_event]
pub enum progress {
    Started,
    Done { percent: u8 },
}


fn main() {}
