// Removed in favour of one typed path, so it must not compile: `tool_started`, an event name of earlier designs.
use agentwire::prelude::*;

fn step(run: Run) {
    let _ = emit!(run, tool_started { tool_name: "search" });
}

fn main() {}
