// Removed in favour of one typed path, so it must not compile: the singleton factory accessor.
use agentwire::get_websocket_manager_factory;
use agentwire::prelude::*;

async fn connect(ctx: &UserExecutionContext) -> Result<(), agentwire::Error> {
    let factory = get_websocket_manager_factory();
    let _manager = factory.create_manager(ctx).await?;
    Ok(())
}

fn main() {}
