// An event type is not generic.
use agentwire::prelude::*;

#[agent_event]
pub struct progress_update<T> {
    pub value: T,
}


fn main() {}
