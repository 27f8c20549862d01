// Removed in favour of one typed path, so it must not compile: tool_completed closes a tool call, not a run.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: &Run) {
    emit!(run, tool_completed { result: json!({"hits": 3}) });
}

fn main() {}
