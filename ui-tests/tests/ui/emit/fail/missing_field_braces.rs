// An event without its `{ .. }`.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run, agent_thinking);
}

fn main() {}
