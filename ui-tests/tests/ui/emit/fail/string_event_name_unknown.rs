// A string event name that is no event at all.
use agentwire::prelude::*;
use serde_json::json;

fn step(run: &Run) {
    emit!(run, "progress_update", json!({"percent": 40}));
}

fn main() {}
