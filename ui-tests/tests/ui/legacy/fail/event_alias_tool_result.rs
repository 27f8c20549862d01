// Removed in favour of one typed path, so it must not compile: `tool_result`, an event name of earlier designs.
use agentwire::prelude::*;
use serde_json::json;

fn step(call: ToolCall<'_>) {
    let _ = emit!(call, tool_result { result: json!({"hits": 3}) });
}

fn main() {}
