// Item 1: the singleton factory accessor.
use agentwire::get_websocket_manager_factory;
use agentwire::prelude::*;

async fn connect(ctx: &UserExecutionContext) -> Result<(), agentwire::Error> {
    let factory = get_websocket_manager_factory();
    let _manager = factory.create_manager(ctx).await?;
    Ok(())
}

fn main() {}
