// Item 11: `output`, a field name of earlier designs.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: Run) {
    emit!(run, agent_completed { output: json!({"answer": 3}) });
}

fn main() {}
