// Item 5: the shared manager of earlier designs.
use agentwire::UnifiedWebSocketManager;

fn main() {
    let _manager = UnifiedWebSocketManager::new();
}
