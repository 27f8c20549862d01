// Removed in favour of one typed path, so it must not compile: the unified-manager constructor of earlier designs.
use agentwire::prelude::*;
use agentwire::UnifiedWebSocketManager;

async fn connect(ctx: &UserExecutionContext) -> Result<(), agentwire::Error> {
    let manager = UnifiedWebSocketManager::create_for_user(ctx).await?;
    let _bridge = manager.bridge();
    Ok(())
}

fn main() {}
