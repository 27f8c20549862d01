//! The scenarios: each measures agentwire and the baseline alike, a fresh
//! server per repetition, and turns the medians into rows.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::sync::{watch, Notify};

use crate::baseline::BaseRegistry;
use crate::load::{connect, connect_many, consume, stream_run, wait_received, Tab};
use crate::report::{Goal, Row};
use crate::served::{Producer, RunHandle, Served};
use crate::{
    credentials, deadline, now_ns, runtime, Kind, CONNECTS, CONNECT_CONCURRENCY, EMITS,
    FANOUT_RUNS, FANOUT_USERS, SINGLE_EVENTS, TABS, TAB_EVENTS,
};

/// Runs `measure` for both kinds, alternating, `reps` times each.
/// `DELIVERY_KIND=agentwire|baseline` measures one side alone (for
/// profiling; the other column then repeats it).
pub(crate) fn both<T: Clone>(
    name: &str,
    reps: usize,
    mut measure: impl FnMut(Kind) -> T,
) -> [Vec<T>; 2] {
    let kinds: &[Kind] = match std::env::var("DELIVERY_KIND").as_deref() {
        Ok("agentwire") => &[Kind::Agentwire],
        Ok("baseline") => &[Kind::Baseline],
        _ => &[Kind::Agentwire, Kind::Baseline],
    };
    let mut out = [Vec::new(), Vec::new()];
    for rep in 0..reps {
        for &kind in kinds {
            let t = Instant::now();
            out[kind as usize].push(measure(kind));
            eprintln!(
                "  {name} rep {}/{reps} {:<9} {:>6.2}s",
                rep + 1,
                kind.name(),
                t.elapsed().as_secs_f64()
            );
        }
    }
    if kinds.len() == 1 {
        let i = kinds[0] as usize;
        out[1 - i] = out[i].clone();
    }
    out
}

/// CPU time of the server runtime's threads so far: the server side's
/// cost, emitting included, whatever the load generator costs.
fn server_cpu() -> Duration {
    threads_cpu("server")
}

/// CPU time so far of this process's threads named `name` (a runtime's
/// workers; from /proc/self/task/*/stat, in clock ticks of 10 ms).
pub(crate) fn threads_cpu(name: &str) -> Duration {
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: fields after the comm, utime and stime are
        // the 12th and 13th.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        if !head.strip_suffix(name).is_some_and(|h| h.ends_with('(')) {
            continue;
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        for f in [11, 12] {
            ticks += fields
                .get(f)
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_millis(ticks * 10)
}

/// What a throughput scenario measured.
#[derive(Clone)]
struct Throughput {
    rate: f64,
    /// Server CPU time per delivered event, in ns.
    cpu_ns: f64,
}

/// A fresh pair of runtimes and a fresh server for one repetition.
pub(crate) fn repetition<T>(kind: Kind, body: impl FnOnce(&Runtime, &Runtime, &Served) -> T) -> T {
    repetition_at(kind, false, body)
}

/// [`repetition`], agentwire mounted in an axum app when `mounted`.
fn repetition_at<T>(
    kind: Kind,
    mounted: bool,
    body: impl FnOnce(&Runtime, &Runtime, &Served) -> T,
) -> T {
    let server_rt = runtime("server");
    let client_rt = runtime("client");
    let served = server_rt.block_on(async {
        if mounted {
            Served::start_mounted(kind).await
        } else {
            Served::start(kind).await
        }
    });
    let out = body(&server_rt, &client_rt, &served);
    client_rt.shutdown_timeout(Duration::from_secs(5));
    server_rt.shutdown_timeout(Duration::from_secs(5));
    drop(served);
    out
}

/// Events/s delivered to `tabs` connections of one user streaming `events`.
fn stream_rate(kind: Kind, tabs: usize, events: u64) -> Throughput {
    repetition(kind, |server_rt, client_rt, served| {
        let creds = credentials("tab", 1);
        let (user, _) = &creds[0];
        let all = vec![creds[0].clone(); tabs];
        let conns = client_rt.block_on(connect_many(&served.url, &all, tabs));
        let notify = Arc::new(Notify::new());
        let tab_state: Vec<Arc<Tab>> = (0..tabs).map(|_| Tab::new(&notify)).collect();
        let clients: Vec<_> = conns
            .into_iter()
            .zip(&tab_state)
            .map(|(ws, tab)| client_rt.spawn(consume(ws, events, tab.clone(), false)))
            .collect();
        let producer = server_rt.block_on(served.producer(user));
        let cpu = server_cpu();
        let start = Instant::now();
        let streaming = server_rt.spawn(stream_run(producer, events, tab_state, notify));
        let ends = client_rt.block_on(deadline("streaming", async {
            let mut ends = Vec::new();
            for client in clients {
                ends.push(client.await.expect("client").0);
            }
            ends
        }));
        server_rt.block_on(streaming).expect("producer");
        let cpu = server_cpu() - cpu;
        let end = ends.into_iter().max().unwrap();
        let delivered = (events * tabs as u64) as f64;
        Throughput {
            rate: delivered / (end - start).as_secs_f64(),
            cpu_ns: cpu.as_nanos() as f64 / delivered,
        }
    })
}

#[derive(Clone)]
struct Fanout {
    rate: f64,
    cpu_ns: f64,
    p50_us: f64,
    p99_us: f64,
}

fn fanout(kind: Kind) -> Fanout {
    repetition(kind, |server_rt, client_rt, served| {
        let creds = credentials("fan", FANOUT_USERS);
        let conns = client_rt.block_on(connect_many(&served.url, &creds, 64));
        let expect = FANOUT_RUNS * 5;
        let (go_tx, go_rx) = watch::channel(false);
        let mut clients = Vec::new();
        let mut producers = Vec::new();
        for (ws, (user, _)) in conns.into_iter().zip(&creds) {
            let notify = Arc::new(Notify::new());
            let tab = Tab::new(&notify);
            clients.push(client_rt.spawn(consume(ws, expect, tab.clone(), true)));
            let producer = server_rt.block_on(served.producer(user));
            let mut go = go_rx.clone();
            producers.push(server_rt.spawn(async move {
                let _ = go.wait_for(|go| *go).await;
                let tabs = [tab];
                for r in 0..FANOUT_RUNS {
                    let run = producer.start(now_ns());
                    producer.think(&run, now_ns());
                    producer.tool(&run, now_ns());
                    producer.complete(run, now_ns());
                    deadline(
                        "waiting for a run",
                        wait_received(&tabs, &notify, 5 * (r + 1)),
                    )
                    .await;
                }
            }));
        }
        let cpu = server_cpu();
        let start = Instant::now();
        go_tx.send_replace(true);
        let (ends, mut latencies) = client_rt.block_on(deadline("fan-out", async {
            let mut ends = Vec::new();
            let mut latencies = Vec::new();
            for client in clients {
                let (end, l) = client.await.expect("client");
                ends.push(end);
                latencies.extend(l);
            }
            (ends, latencies)
        }));
        server_rt.block_on(async {
            for p in producers {
                p.await.expect("producer");
            }
        });
        let cpu = server_cpu() - cpu;
        let end = ends.into_iter().max().unwrap();
        latencies.sort_unstable();
        let pct = |p: usize| f64::from(latencies[(latencies.len() - 1) * p / 100]);
        Fanout {
            rate: (FANOUT_USERS as u64 * expect) as f64 / (end - start).as_secs_f64(),
            cpu_ns: cpu.as_nanos() as f64 / (FANOUT_USERS as u64 * expect) as f64,
            p50_us: pct(50),
            p99_us: pct(99),
        }
    })
}

fn connect_rate(kind: Kind, mounted: bool) -> f64 {
    repetition_at(kind, mounted, |_, client_rt, served| {
        let creds = Arc::new(credentials("conn", 1_000));
        let url = Arc::new(served.url.clone());
        // Warm up: the first handshakes fault in code and buffers.
        drop(client_rt.block_on(connect_many(&url, &creds[..50], 8)));
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let workers: Vec<_> = (0..CONNECT_CONCURRENCY)
            .map(|_| {
                let (creds, url, next) = (creds.clone(), url.clone(), next.clone());
                client_rt.spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= CONNECTS {
                            break;
                        }
                        let (user, token) = &creds[i % creds.len()];
                        drop(connect(&url, user, token).await);
                    }
                })
            })
            .collect();
        client_rt.block_on(deadline("connecting", async {
            for w in workers {
                w.await.expect("connector");
            }
        }));
        CONNECTS as f64 / start.elapsed().as_secs_f64()
    })
}

/// ns per `agent_thinking` with no socket and no subscriber, emitting
/// round-robin over `users` users' runs.
fn emit_inprocess(kind: Kind, users: usize, warm_up: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let hub = crate::hub_builder().build().unwrap();
        let registry = BaseRegistry::new();
        let mut producers = Vec::with_capacity(users);
        for u in 0..users {
            let user = format!("emit{u}");
            producers.push(match kind {
                Kind::Agentwire => Producer::agentwire(&hub, &user).await,
                Kind::Baseline => Producer::Baseline(registry.user(&user)),
            });
        }
        let runs: Vec<RunHandle> = producers.iter().map(|p| p.start(now_ns())).collect();
        let pass = |n: usize| {
            let start = Instant::now();
            for i in 0..n {
                let u = i % users;
                producers[u].think_fixed(&runs[u]);
            }
            start.elapsed().as_nanos() as f64 / n as f64
        };
        pass(warm_up);
        pass(EMITS)
    })
}

/// `single_stream`: one user, one tab, one long run.
pub(crate) fn single_stream(reps: usize) -> Vec<Row> {
    let sides = both("single_stream", reps, |k| stream_rate(k, 1, SINGLE_EVENTS));
    throughput_rows(["single_stream", "single_stream_cpu"], &sides, 0.8)
}

/// `tabs_10`: one user, ten tabs, one long run.
pub(crate) fn tabs_10(reps: usize) -> Vec<Row> {
    let sides = both("tabs_10", reps, |k| stream_rate(k, TABS, TAB_EVENTS));
    throughput_rows(["tabs_10", "tabs_10_cpu"], &sides, 0.8)
}

/// The rate row (with its target) and the server-CPU row of a throughput
/// scenario.
fn throughput_rows(
    [name, cpu_name]: [&'static str; 2],
    sides: &[Vec<Throughput>; 2],
    target: f64,
) -> Vec<Row> {
    vec![
        Row::median(
            name,
            "events/s",
            sides,
            |t| t.rate,
            Goal::RatioAtLeast(target),
        ),
        Row::median(cpu_name, "ns/event", sides, |t| t.cpu_ns, Goal::None),
    ]
}

/// `fanout_1k`: a thousand users, one tab each, all running at once.
pub(crate) fn fanout_1k(reps: usize) -> Vec<Row> {
    let sides = both("fanout_1k", reps, fanout);
    vec![
        Row::median(
            "fanout_1k",
            "events/s",
            &sides,
            |f| f.rate,
            Goal::RatioAtLeast(0.7),
        ),
        Row::median(
            "fanout_1k_cpu",
            "ns/event",
            &sides,
            |f| f.cpu_ns,
            Goal::RatioAtMost(1.05),
        ),
        Row::median("fanout_1k_p50", "µs", &sides, |f| f.p50_us, Goal::None),
        Row::median(
            "fanout_1k_p99",
            "µs",
            &sides,
            |f| f.p99_us,
            Goal::RatioAtMost(2.0),
        ),
    ]
}

/// `connect_rate`: authenticated handshakes per second through
/// [`Hub::serve`](agentwire::Hub::serve); `connect_rate_axum`: through the
/// endpoint mounted in an axum `Router`.
pub(crate) fn connect_rate_rows(reps: usize) -> Vec<Row> {
    let sides = both("connect_rate", reps, |k| connect_rate(k, false));
    let axum = both("connect_rate_axum", reps, |k| connect_rate(k, true));
    vec![
        Row::median(
            "connect_rate",
            "conn/s",
            &sides,
            |r| *r,
            Goal::RatioAtLeast(0.9),
        ),
        Row::median(
            "connect_rate_axum",
            "conn/s",
            &axum,
            |r| *r,
            Goal::RatioAtLeast(0.9),
        ),
    ]
}

/// `emit_inprocess_1` and `emit_inprocess_1k`: ns per emit, no socket.
/// `emit_inprocess_1k_full` is `_1k` once every user's replay window is
/// full (the warm-up emits more than 256 events per user), so the frames
/// it keeps reuse the memory of those it lets go; in `_1k` the windows are
/// still filling and each frame kept is fresh memory.
pub(crate) fn emit_inprocess_rows(reps: usize) -> Vec<Row> {
    [
        (
            "emit_inprocess_1",
            1,
            EMITS / 10,
            Goal::AbsoluteAtMost(1000.0),
        ),
        (
            "emit_inprocess_1k",
            1_000,
            EMITS / 10,
            Goal::RatioAtMost(1.1),
        ),
        ("emit_inprocess_1k_full", 1_000, 300 * 1_000, Goal::None),
    ]
    .into_iter()
    .map(|(name, users, warm_up, goal)| {
        let sides = both(name, reps.max(5), |k| emit_inprocess(k, users, warm_up));
        Row::median(name, "ns/emit", &sides, |ns| *ns, goal)
    })
    .collect()
}
