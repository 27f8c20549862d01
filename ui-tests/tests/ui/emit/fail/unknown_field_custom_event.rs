// A field a custom event does not have.
use agentwire::prelude::*;

#[agent_event]
pub struct progress_update {
    pub percent: u8,
    pub note: Option<String>,
}

fn step(run: &Run) -> Result<(), agentwire::Error> {
    emit!(run, progress_update { percent: 40, remark: "halfway" })
}

fn main() {}
