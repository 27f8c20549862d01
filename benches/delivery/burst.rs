//! `burst`: the golden path under a burst. 1,000 users with two tabs each;
//! every user's first tab sends [`BURST_RUNS`] `user_message`s one after
//! another (the next when `agent_completed` arrives), all users at once.
//! Each run emits [`RUN_EVENTS`] events without sleeping: an `#[agent]` for
//! agentwire, one spawned task per run for the baseline.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use agentwire::prelude::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::load::{connect_many, stamp_of, Ws};
use crate::report::{Goal, Row};
use crate::scenarios::{both, repetition, threads_cpu};
use crate::{credentials, deadline, now_ns, Kind, REASONING};

pub(crate) const BURST_USERS: usize = 1_000;
pub(crate) const BURST_RUNS: usize = 5;
/// `agent_started`, 20 `agent_thinking`s, two tool calls (executing and
/// completed each), `agent_completed`.
pub(crate) const RUN_EVENTS: usize = 26;
pub(crate) const THOUGHTS: usize = 20;
pub(crate) const TOOL_CALLS: usize = 2;

/// [`BURST_RUNS`], or `DELIVERY_BURST_RUNS=N`: two runs of the scenario
/// that differ only in `N` tell what one run costs, apart from the
/// connections' handshakes.
fn runs_per_user() -> usize {
    static RUNS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *RUNS.get_or_init(|| match std::env::var("DELIVERY_BURST_RUNS") {
        Ok(n) => n.parse().expect("DELIVERY_BURST_RUNS: a count"),
        Err(_) => BURST_RUNS,
    })
}

/// A `user_message` whose content is its send stamp (ns, [`now_ns`]): the
/// servers run in this process, so a run can tell how long it waited.
fn user_message() -> String {
    format!(
        r#"{{"type":"user_message","payload":{{"content":"{}"}}}}"#,
        now_ns()
    )
}

/// Where a run's latency goes, in µs: message sent → run started (reading,
/// spawning, scheduling), and `agent_completed` made → received (queue,
/// writer, socket, client).
static STARTS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Called by both servers' runs as they start.
pub(crate) fn run_started(content: &str) {
    let sent: u64 = content.parse().unwrap_or(0);
    let wait = (now_ns().saturating_sub(sent) / 1000) as u32;
    STARTS.lock().unwrap().push(wait);
}

/// The bench's agent: the events of a run, as fast as they can be emitted.
#[agent(name = "bench")]
pub(crate) async fn bench_agent(run: &Run, msg: UserMessage) -> Result<Value, AgentError> {
    run_started(&msg.content);
    for _ in 0..THOUGHTS {
        emit!(
            run,
            agent_thinking {
                reasoning: REASONING
            }
        );
    }
    for _ in 0..TOOL_CALLS {
        let call = emit!(
            run,
            tool_executing {
                tool_name: "search",
                parameters: json!({ "q": "gpu prices" })
            }
        );
        emit!(
            call,
            tool_completed {
                result: json!({ "hits": 3 })
            }
        );
    }
    Ok(json!({ "answer": "done", "t": now_ns() }))
}

fn is_completed(text: &str) -> bool {
    // Both servers write `type` first.
    text.starts_with(r#"{"type":"agent_completed""#)
}

/// The tab that sends: each message once the previous run has completed;
/// returns when its last event arrived and each run's latency in µs.
async fn sender(mut ws: Ws, mut go: watch::Receiver<bool>) -> (Instant, Vec<u32>, Vec<u32>) {
    let _ = go.wait_for(|go| *go).await;
    let mut latencies = Vec::with_capacity(runs_per_user());
    let mut deliveries = Vec::with_capacity(runs_per_user());
    for run in 0..runs_per_user() {
        let sent = Instant::now();
        ws.send(Message::text(user_message())).await.expect("send");
        let mut events = 0;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    events += 1;
                    if is_completed(text.as_str()) {
                        latencies.push(sent.elapsed().as_micros() as u32);
                        let event: Value = serde_json::from_str(text.as_str()).expect("json");
                        let made = stamp_of(&event).expect("a stamped agent_completed");
                        deliveries.push((now_ns().saturating_sub(made) / 1000) as u32);
                        break;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("run {run}: the stream ended: {other:?}"),
            }
        }
        assert_eq!(events, RUN_EVENTS, "run {run}");
    }
    (Instant::now(), latencies, deliveries)
}

/// The other tab: watches every event of the user's runs.
async fn watcher(mut ws: Ws) -> Instant {
    let expect = runs_per_user() * RUN_EVENTS;
    let mut n = 0;
    while n < expect {
        match ws.next().await {
            Some(Ok(Message::Text(_))) => n += 1,
            Some(Ok(_)) => {}
            other => panic!("the stream ended after {n} of {expect} events: {other:?}"),
        }
    }
    Instant::now()
}

#[derive(Clone)]
pub(crate) struct Burst {
    rate: f64,
    /// The mean run latency: with every user always waiting on one run,
    /// it is users / runs per second (Little's law), set by throughput
    /// alone; the percentiles also show how evenly the wait is shared.
    mean_us: f64,
    p50_us: f64,
    p99_us: f64,
    start_p50_us: f64,
    start_p99_us: f64,
    deliver_p50_us: f64,
    deliver_p99_us: f64,
    server_ns: f64,
    client_ns: f64,
    /// Load generator CPU as a share of one core over the measured time.
    client_share: f64,
}

fn burst(kind: Kind) -> Burst {
    repetition(kind, |_server_rt, client_rt, served| {
        let creds = credentials("burst", BURST_USERS);
        let tabs: Vec<(String, String)> =
            creds.iter().flat_map(|c| [c.clone(), c.clone()]).collect();
        let conns = client_rt.block_on(connect_many(&served.url, &tabs, 64));
        let (go_tx, go_rx) = watch::channel(false);
        let mut senders = Vec::new();
        let mut watchers = Vec::new();
        let mut conns = conns.into_iter();
        while let (Some(first), Some(second)) = (conns.next(), conns.next()) {
            senders.push(client_rt.spawn(sender(first, go_rx.clone())));
            watchers.push(client_rt.spawn(watcher(second)));
        }
        // Let the spawned tabs reach their wait.
        std::thread::sleep(Duration::from_millis(100));
        let server_cpu = threads_cpu("server");
        let client_cpu = threads_cpu("client");
        STARTS.lock().unwrap().clear();
        let start = Instant::now();
        go_tx.send_replace(true);
        let (end, mut latencies, mut deliveries) = client_rt.block_on(deadline("burst", async {
            let mut end = start;
            let mut latencies = Vec::with_capacity(BURST_USERS * runs_per_user());
            let mut deliveries = Vec::with_capacity(BURST_USERS * runs_per_user());
            for s in senders {
                let (at, l, d) = s.await.expect("sender");
                end = end.max(at);
                latencies.extend(l);
                deliveries.extend(d);
            }
            for w in watchers {
                end = end.max(w.await.expect("watcher"));
            }
            (end, latencies, deliveries)
        }));
        let mut starts = std::mem::take(&mut *STARTS.lock().unwrap());
        let server_cpu = threads_cpu("server") - server_cpu;
        let client_cpu = threads_cpu("client") - client_cpu;
        let elapsed = (end - start).as_secs_f64();
        let delivered = (BURST_USERS * 2 * runs_per_user() * RUN_EVENTS) as f64;
        Burst {
            rate: delivered / elapsed,
            mean_us: latencies.iter().map(|&l| f64::from(l)).sum::<f64>() / latencies.len() as f64,
            p50_us: percentile(&mut latencies, 50),
            p99_us: percentile(&mut latencies, 99),
            start_p50_us: percentile(&mut starts, 50),
            start_p99_us: percentile(&mut starts, 99),
            deliver_p50_us: percentile(&mut deliveries, 50),
            deliver_p99_us: percentile(&mut deliveries, 99),
            server_ns: server_cpu.as_nanos() as f64 / delivered,
            client_ns: client_cpu.as_nanos() as f64 / delivered,
            client_share: client_cpu.as_secs_f64() / elapsed * 100.0,
        }
    })
}

pub(crate) fn percentile(xs: &mut [u32], p: usize) -> f64 {
    xs.sort_unstable();
    f64::from(xs[(xs.len() - 1) * p / 100])
}

/// How many times more often `burst` is repeated than the other scenarios:
/// a repetition lasts about a quarter of a second, and its latencies move
/// more between repetitions than the other rows do.
const REPS_FACTOR: usize = 3;

/// `burst`: delivered events/s, run latency p50/p99, CPU per event.
pub(crate) fn rows(reps: usize) -> Vec<Row> {
    let sides = both("burst", reps * REPS_FACTOR, burst);
    vec![
        Row::median(
            "burst",
            "events/s",
            &sides,
            |b| b.rate,
            Goal::RatioAtLeast(1.0),
        ),
        Row::median("burst_mean", "µs", &sides, |b| b.mean_us, Goal::None),
        Row::median(
            "burst_p50",
            "µs",
            &sides,
            |b| b.p50_us,
            Goal::RatioAtMost(1.2),
        ),
        Row::median(
            "burst_p99",
            "µs",
            &sides,
            |b| b.p99_us,
            Goal::RatioAtMost(1.0),
        ),
        Row::median(
            "burst_start_p50",
            "µs",
            &sides,
            |b| b.start_p50_us,
            Goal::None,
        ),
        Row::median(
            "burst_start_p99",
            "µs",
            &sides,
            |b| b.start_p99_us,
            Goal::None,
        ),
        Row::median(
            "burst_deliver_p50",
            "µs",
            &sides,
            |b| b.deliver_p50_us,
            Goal::None,
        ),
        Row::median(
            "burst_deliver_p99",
            "µs",
            &sides,
            |b| b.deliver_p99_us,
            Goal::None,
        ),
        Row::median("burst_cpu", "ns/event", &sides, |b| b.server_ns, Goal::None),
        Row::median(
            "burst_client_cpu",
            "ns/event",
            &sides,
            |b| b.client_ns,
            Goal::None,
        ),
        Row::median(
            "burst_client_load",
            "% core",
            &sides,
            |b| b.client_share,
            Goal::None,
        ),
    ]
}
