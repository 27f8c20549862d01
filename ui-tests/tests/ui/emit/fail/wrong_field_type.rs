// A value of the wrong type for a field.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run, agent_thinking { reasoning: 42 });
}

fn main() {}
