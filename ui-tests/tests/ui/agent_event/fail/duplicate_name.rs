// `name` is given once.
use agentwire::prelude::*;

#[agent_event(name = "progress", name = "progress_update")]
pub struct ProgressUpdate {
    pub percent: u8,
}


fn main() {}
