// An event type is not generic, not even by a where clause.
use agentwire::prelude::*;

#[agent_event]
pub struct progress_update
where
    u8: Copy,
{
    pub percent: u8,
}


fn main() {}
