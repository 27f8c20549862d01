// #[agent_event] takes `name` and `crate`.
use agentwire::prelude::*;

#[agent_event(rename = "progress")]
pub struct ProgressUpdate {
    pub percent: u8,
}


fn main() {}
