// A run event on something that is not a run.
use agentwire::prelude::*;

fn step(user: &UserId) {
    emit!(user, agent_thinking { reasoning: "Comparing offers" });
}

fn main() {}
