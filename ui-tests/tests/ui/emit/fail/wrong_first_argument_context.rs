// The context is not a bridge.
use agentwire::prelude::*;

fn start(ctx: &UserExecutionContext) {
    let _run = emit!(ctx, agent_started { agent_name: "researcher" });
}

fn main() {}
