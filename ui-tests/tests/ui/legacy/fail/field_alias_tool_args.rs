// Removed in favour of one typed path, so it must not compile: `tool_args`, a field name of earlier designs.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: &Run) {
    let _call = emit!(run, tool_executing { tool_name: "search", tool_args: json!({"q": "h100"}) });
}

fn main() {}
