// An event given as a variable on an owned run, with a payload variable.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: Run) {
    let event = "agent_completed";
    let data = json!({"result": 3});
    emit!(run, event, data);
}

fn main() {}
