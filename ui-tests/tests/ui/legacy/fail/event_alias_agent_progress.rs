// Removed in favour of one typed path, so it must not compile: `agent_progress`, an event name of earlier designs.
use agentwire::prelude::*;

fn step(run: Run) {
    let _ = emit!(run, agent_progress { reasoning: "..." });
}

fn main() {}
