// Custom events are run-scoped.
use agentwire::prelude::*;

#[agent_event]
pub struct progress_update {
    pub percent: u8,
}

fn step(bridge: &AgentBridge) -> Result<(), agentwire::Error> {
    emit!(bridge, progress_update { percent: 40 })
}

fn main() {}
