// Every macro form, with no prelude in scope: generated code names
// everything by absolute path. (`serde_json::json!` needs the prelude, so
// values are built without it.)
#![no_implicit_prelude]

#[::agentwire::agent_event]
pub struct progress_update {
    pub percent: u8,
    pub note: ::std::option::Option<::std::string::String>,
}

#[::agentwire::agent_event(name = "step_done", crate = ::agentwire)]
pub struct StepDone {
    pub step: u32,
}

#[::agentwire::agent(name = "researcher")]
async fn researcher(
    run: &::agentwire::Run,
    msg: ::agentwire::UserMessage,
) -> ::std::result::Result<::serde_json::Value, ::agentwire::AgentError> {
    ::agentwire::emit!(run, agent_thinking { reasoning: msg.content.as_str() });
    let call = ::agentwire::emit!(run, tool_executing { tool_name: "search" });
    ::agentwire::emit!(call, tool_completed { result: ::serde_json::Value::Bool(true) });
    ::agentwire::emit!(run, progress_update { percent: 50 })?;
    ::std::result::Result::Ok(::serde_json::Value::Bool(true))
}

fn every_event(bridge: &::agentwire::AgentBridge) -> ::std::result::Result<(), ::agentwire::Error> {
    let run = ::agentwire::emit!(bridge, agent_started { agent_name: "researcher", message: "on it" });
    ::agentwire::emit!(run, agent_thinking { reasoning: "Looking for GPU prices", step_number: 1u32 });
    let call = ::agentwire::emit!(run, tool_executing {
        tool_name: "search",
        parameters: ::serde_json::Value::Null,
    });
    ::agentwire::emit!(call, tool_completed { result: ::serde_json::Value::Bool(true) });
    ::agentwire::emit!(run, progress_update { percent: 80, note: "almost there" })?;
    ::agentwire::emit!(run, StepDone { step: 2 })?;
    ::agentwire::emit!(run, agent_completed { result: ::serde_json::Value::Bool(true) });
    ::std::result::Result::Ok(())
}

fn main() {
    let _ = every_event;
    let _ = researcher;
}
