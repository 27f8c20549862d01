// A tool call is closed once.
use agentwire::prelude::*;

fn step(run: &Run) {
    let call = emit!(run, tool_executing { tool_name: "search" });
    emit!(call, tool_completed {});
    emit!(call, tool_completed {});
}

fn main() {}
