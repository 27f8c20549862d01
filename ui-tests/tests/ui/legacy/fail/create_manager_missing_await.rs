// Removed in favour of one typed path, so it must not compile: the factory is async; rustc's own hint says what is missing.
use agentwire::prelude::*;

async fn connect(factory: &WebSocketManagerFactory, ctx: &UserExecutionContext) -> Result<(), agentwire::Error> {
    let manager = factory.create_manager(ctx)?;
    let _bridge = manager.bridge();
    Ok(())
}

fn main() {}
