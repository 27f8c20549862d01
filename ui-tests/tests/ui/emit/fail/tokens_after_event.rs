// Anything after the event's `{ .. }`.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run, agent_thinking { reasoning: "a" }, agent_thinking { reasoning: "b" });
}

fn main() {}
