// Item 11: `name`, a field name of earlier designs.
use agentwire::prelude::*;

fn step(run: &Run) {
    let _call = emit!(run, tool_executing { name: "search" });
}

fn main() {}
