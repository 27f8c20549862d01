// A required field left out.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: &Run) {
    let _call = emit!(run, tool_executing { parameters: json!({"q": "h100"}) });
}

fn main() {}
