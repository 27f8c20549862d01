// The README's canonical usage compiles exactly as written.
use agentwire::prelude::*;
use serde_json::json;

async fn answer(factory: &WebSocketManagerFactory, user: UserId) -> Result<(), agentwire::Error> {
    let ctx = UserExecutionContext::new(user, ThreadId::new("thread-1")?);
    let manager = factory.create_manager(&ctx).await?;      // the one factory, async
    let bridge = manager.bridge();                           // bound to ctx's user and thread
    let run = emit!(bridge, agent_started { agent_name: "researcher" });
    emit!(run, agent_thinking { reasoning: "Looking for GPU prices" });
    let call = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": "h100"}) });
    emit!(call, tool_completed { result: json!({"hits": 3}) });
    emit!(run, agent_completed { result: json!({"answer": "3 offers"}) });
    Ok(())
}

fn main() {
    let _ = answer;
}
