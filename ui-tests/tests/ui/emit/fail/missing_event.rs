// A target without an event.
use agentwire::prelude::*;

fn step(run: &Run) {
    emit!(run);
}

fn main() {}
