// Removed in favour of one typed path, so it must not compile: `thinking`, a field name of earlier designs.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run, agent_thinking { thinking: "Looking for GPU prices" });
}

fn main() {}
