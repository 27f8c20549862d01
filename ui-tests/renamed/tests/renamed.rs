//! The renamed-facade agent and events work at run time too.

use agentwire_ui_tests_renamed::{every_event, researcher};
use aw::{Agent, Hub, RunStatus, ThreadId, UserExecutionContext, UserId, UserMessage};

#[tokio::test]
async fn macros_work_through_a_renamed_dependency() -> Result<(), aw::Error> {
    let hub = Hub::builder().agent(researcher).build()?;
    let ctx = UserExecutionContext::new(UserId::new("alice")?, ThreadId::new("thread-1")?);
    let manager = hub.factory().create_manager(&ctx).await?;
    let before = manager.last_seq();

    every_event(&manager.bridge())?;
    let outcome = researcher
        .handle(manager.bridge(), UserMessage::new("h100"))
        .await;
    assert_eq!(outcome.status(), RunStatus::Completed);
    // 6 events by hand; started, thinking, executing, completed, progress,
    // completed from the agent.
    assert_eq!(manager.last_seq() - before, 12);
    Ok(())
}
