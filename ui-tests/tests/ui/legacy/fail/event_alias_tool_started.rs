// Item 10: `tool_started`, an event name of earlier designs.
use agentwire::prelude::*;

fn step(run: Run) {
    let _ = emit!(run, tool_started { tool_name: "search" });
}

fn main() {}
