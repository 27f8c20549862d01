// Removed in favour of one typed path, so it must not compile: `agent_response`, an event name of earlier designs.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: Run) {
    let _ = emit!(run, agent_response { result: json!({"answer": 3}) });
}

fn main() {}
