// Event fields are named.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run, agent_thinking { 0: "Comparing offers" });
}

fn main() {}
