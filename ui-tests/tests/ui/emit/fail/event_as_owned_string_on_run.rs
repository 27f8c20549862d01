// An event given as an owned string, with a payload, on a run: the error
// quotes the tokens as written and names the events a run takes.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: &Run) {
    emit!(run, String::from("agent_thinking"), json!({"reasoning": "reading"}));
}

fn main() {}
