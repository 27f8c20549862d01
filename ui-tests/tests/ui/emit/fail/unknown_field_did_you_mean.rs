// A misspelt field.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run, agent_thinking { reasonig: "Comparing offers" });
}

fn main() {}
