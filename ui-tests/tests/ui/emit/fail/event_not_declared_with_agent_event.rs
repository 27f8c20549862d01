// A plain struct is not an event: it needs #[agent_event].
use agentwire::prelude::*;

pub struct ProgressUpdate {
    pub percent: u8,
}

fn step(run: &Run) -> Result<(), agentwire::Error> {
    emit!(run, ProgressUpdate { percent: 40 })
}

fn main() {}
