// A custom event is sent as JSON: its fields must be Serialize.
use agentwire::prelude::*;

#[agent_event]
pub struct progress_update {
    pub percent: Percent,
}


pub struct Percent(u8);

fn main() {}
