// `crate` is given once.
use agentwire::prelude::*;

#[agent_event(crate = ::agentwire, crate = ::agentwire)]
pub struct ProgressUpdate {
    pub percent: u8,
}


fn main() {}
