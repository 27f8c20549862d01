//! What an operator sees through `tracing`: refused handshakes, closed
//! connections and panicking handlers are logged, with the fields needed to
//! find them. One test in its own binary, since it installs the global
//! subscriber.

mod support;

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One logged event: its level and its fields as `name=value` text.
#[derive(Clone, Debug)]
struct Logged {
    level: Level,
    fields: String,
}

#[derive(Default)]
struct Recorder {
    events: Arc<Mutex<Vec<Logged>>>,
    /// Each span's name and fields, as `name: field=value ..`.
    spans: Arc<Mutex<Vec<String>>>,
    next_span: AtomicU64,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(format!("{}: ", span.metadata().name()));
        span.record(&mut fields);
        self.spans.lock().unwrap().push(fields.0);
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.events.lock().unwrap().push(Logged {
            level: *event.metadata().level(),
            fields: fields.0,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn refusals_closes_and_panics_are_logged() {
    let recorder = Recorder::default();
    let events = recorder.events.clone();
    let spans = recorder.spans.clone();
    tracing::subscriber::set_global_default(recorder).unwrap();
    let find = |needle: &str| -> Option<Logged> {
        events
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.fields.contains(needle))
            .cloned()
    };

    let t = start(config().rate_limit(2, 2)).await;
    let head = raw_http(
        &addr(&t),
        upgrade_request(&addr(&t), "/ws", "Authorization: Bearer not-a-jwt\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status_of(&head), 401);
    let refused = find("handshake refused").expect("the refusal is logged");
    assert_eq!(refused.level, Level::INFO);
    assert!(refused.fields.contains("status=401"), "{refused:?}");

    let mut c = Client::connect(&t.url, "ops").await;
    c.send_to("panicker", "boom").await;
    assert_eq!(
        c.recv_run().await.last().unwrap()["payload"]["status"],
        "failed"
    );
    let panicked = find("the agent panicked").expect("the panic is logged");
    assert_eq!(panicked.level, Level::ERROR);
    assert!(panicked.fields.contains("handler exploded"), "{panicked:?}");

    // Each run has its span, and each tool call a span of its own.
    c.send_message("traced").await;
    let run = c.recv_run().await;
    let run_id = run[0]["run_id"].as_str().unwrap();
    let call_id = run[2]["payload"]["tool_call_id"].as_str().unwrap();
    let spans = spans.lock().unwrap().clone();
    assert!(
        spans.iter().any(|s| s.starts_with("agentwire.run:")
            && s.contains(&format!("run_id={run_id}"))
            && s.contains("agent=\"researcher\"")
            && s.contains("user_id=ops")),
        "{spans:?}"
    );
    assert!(
        spans.iter().any(|s| s.starts_with("agentwire.tool_call:")
            && s.contains(&format!("tool_call_id={call_id}"))
            && s.contains("tool_name=\"search\"")),
        "{spans:?}"
    );

    // Over the rate limit: the close and its code are logged.
    for _ in 0..5 {
        c.send(serde_json::json!({ "type": "ping" })).await;
    }
    let _ = c.recv_close().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while find("code=4029").is_none() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let closed = find("code=4029").expect("the close is logged");
    assert!(closed.fields.contains("user_id=ops"), "{closed:?}");
}
