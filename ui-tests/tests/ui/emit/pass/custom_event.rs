// A run-scoped event of the user's own, declared with #[agent_event].
use agentwire::prelude::*;

#[agent_event]
pub struct progress_update {
    pub percent: u8,
    pub note: Option<String>,
}

/// CamelCase types get a snake_case wire name, or the one given.
#[agent_event(name = "step_done")]
pub struct StepDone {
    pub step: u32,
}

fn report(run: &Run) -> Result<(), agentwire::Error> {
    emit!(run, progress_update { percent: 40 })?;
    emit!(run, progress_update { percent: 80, note: "almost there" })?;
    emit!(run, StepDone { step: 2 })?;
    Ok(())
}

#[agent]
async fn worker(run: &Run, _msg: UserMessage) -> Result<(), AgentError> {
    emit!(run, progress_update { percent: 100, note: String::from("done") })?;
    Ok(())
}

fn main() {
    let _ = (report, worker);
}
