//! Replay buffers and connection queues are bounded in bytes, not only in
//! events: large events cannot make the server hold more than the
//! configured bytes per user and per connection. One test in its own
//! binary, so that resident memory measures this test alone.

mod support;

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::server::CloseCode;
use support::*;

async fn flood(hub: &Hub, user: &str, events: usize, size: usize) {
    let bridge = bridge(hub, user, "t").await;
    let run = emit!(
        bridge,
        agent_started {
            agent_name: "flood"
        }
    );
    let text = "x".repeat(size);
    for _ in 0..events {
        emit!(
            run,
            agent_thinking {
                reasoning: text.as_str()
            }
        );
    }
    emit!(run, agent_completed {});
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_events_are_bounded_by_bytes_in_replay_and_in_queues() {
    // Defaults: 4 MiB of replay per user, 8 MiB of queue per connection.
    let t = start(config()).await;
    const MIB: u64 = 1 << 20;
    let before = resident_bytes();

    // Six users whose runs carry ~57 KB events: 256 of them each would be
    // ~15 MB per user if only the event count bounded the replay.
    for i in 0..6 {
        flood(&t.hub, &format!("writer{i}"), 256, 57_000).await;
    }
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < 6 * 4 * MIB + 16 * MIB,
        "replay grew by {} MiB",
        grown / MIB
    );

    // A tab that stops reading while 1,000 such events (57 MB) are emitted
    // for its user holds at most its 8 MiB queue plus socket buffers.
    let mut stalled = Client::connect(&t.url, "stalled").await;
    let before = resident_bytes();
    flood(&t.hub, "stalled", 1000, 57_000).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < 4 * MIB + 8 * MIB + 16 * MIB,
        "queue grew by {} MiB",
        grown / MIB
    );

    // When it reads again it finds what was in flight, then 4008.
    let (received, close) = stalled.recv_close().await;
    assert!(
        received.len() < 1000,
        "{} events were delivered",
        received.len()
    );
    assert_eq!(
        close.map(|c| u16::from(c.code)),
        Some(CloseCode::SlowConsumer.code())
    );
}
