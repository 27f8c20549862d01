// An event given as `"..".to_string()` on a tool call: the error names
// `tool_completed`, the one event a tool call takes.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: &Run) {
    let call = emit!(run, tool_executing { tool_name: "search" });
    emit!(call, "tool_completed".to_string(), json!({"hits": 3}));
}

fn main() {}
