// A run started under a literal name yields the `Run` directly; a name
// known at run time is an `AgentName`, validated with `?`.
use agentwire::prelude::*;

fn start(bridge: &AgentBridge, configured: &str) -> Result<(), agentwire::Error> {
    let run: Run = emit!(bridge, agent_started { agent_name: "researcher" });
    emit!(run, agent_completed {});
    let name = AgentName::new(configured)?;
    let run: Run = emit!(bridge, agent_started { agent_name: &name });
    emit!(run, agent_completed {});
    let run: Run = emit!(bridge, agent_started { agent_name: name });
    emit!(run, agent_completed {});
    Ok(())
}

fn main() {
    let _ = start;
}
