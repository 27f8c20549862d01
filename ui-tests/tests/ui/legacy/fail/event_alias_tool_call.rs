// Removed in favour of one typed path, so it must not compile: `tool_call`, an event name of earlier designs.
use agentwire::prelude::*;

fn step(run: Run) {
    let _ = emit!(run, tool_call { tool_name: "search" });
}

fn main() {}
