// A required field of a custom event left out.
use agentwire::prelude::*;

#[agent_event]
pub struct progress_update {
    pub percent: u8,
    pub note: Option<String>,
}

fn step(run: &Run) -> Result<(), agentwire::Error> {
    emit!(run, progress_update { note: "halfway" })
}

fn main() {}
