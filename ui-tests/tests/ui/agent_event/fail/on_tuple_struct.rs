// Event fields need names.
use agentwire::prelude::*;

#[agent_event]
pub struct progress_update(u8);


fn main() {}
