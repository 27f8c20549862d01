// Removed in favour of one typed path, so it must not compile: the shared manager of earlier designs.
use agentwire::UnifiedWebSocketManager;

fn main() {
    let _manager = UnifiedWebSocketManager::new();
}
