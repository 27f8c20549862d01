// Removed in favour of one typed path, so it must not compile: `results`, a field name of earlier designs.
use agentwire::prelude::*;
use serde_json::json;

fn step(call: ToolCall<'_>) {
    emit!(call, tool_completed { results: json!({"hits": 3}) });
}

fn main() {}
