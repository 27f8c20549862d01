// Removed in favour of one typed path, so it must not compile: `output`, a field name of earlier designs.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: Run) {
    emit!(run, agent_completed { output: json!({"answer": 3}) });
}

fn main() {}
