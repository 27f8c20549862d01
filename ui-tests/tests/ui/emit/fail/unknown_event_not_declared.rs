// An event that was never declared with #[agent_event].
use agentwire::prelude::*;

fn step(run: &Run) -> Result<(), agentwire::Error> {
    emit!(run, progress_update { percent: 40 })
}

fn main() {}
