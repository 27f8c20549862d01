// A misspelt lifecycle event.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run, agent_thiking { reasoning: "Looking for GPU prices" });
}

fn main() {}
