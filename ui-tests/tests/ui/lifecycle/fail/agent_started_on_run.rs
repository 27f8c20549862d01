// A run is started on a bridge, not inside another run.
use agentwire::prelude::*;

fn step(run: &Run) {
    let _inner = emit!(run, agent_started { agent_name: "helper" });
}

fn main() {}
