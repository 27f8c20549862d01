// Removed in favour of one typed path, so it must not compile: `name`, a field name of earlier designs.
use agentwire::prelude::*;

fn step(run: &Run) {
    let _call = emit!(run, tool_executing { name: "search" });
}

fn main() {}
