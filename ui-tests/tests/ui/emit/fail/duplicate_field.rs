// A field given twice.
use agentwire::prelude::*;

fn step(run: &Run) {
    let _call = emit!(run, tool_executing { tool_name: "search", tool_name: "prices" });
}

fn main() {}
