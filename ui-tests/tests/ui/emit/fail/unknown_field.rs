// A field the event does not have: the message lists the ones it has.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run, agent_thinking { reasoning: "Comparing offers", mood: "curious" });
}

fn main() {}
