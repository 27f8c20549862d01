//! Delivery benchmarks: agentwire against a raw tokio-tungstenite baseline,
//! side by side in one run.
//!
//! `cargo bench --bench delivery` runs every scenario through agentwire
//! (server + `emit!`) and through the baseline, with the same load
//! generator (real WebSocket clients on 127.0.0.1), takes the median of
//! several repetitions, prints a table and writes it to
//! `target/bench/delivery.json`. `cargo bench --bench delivery -- NAME..`
//! runs only the named scenarios; `DELIVERY_REPS=N` changes the repetitions
//! (default 5, at least 3). `DELIVERY_KIND=agentwire` (or `baseline`) runs
//! one side only, for a profiler; `DELIVERY_REPLAY_EVENTS=N` sets
//! agentwire's replay window (0 keeps none), to tell what a scenario pays
//! for it; `DELIVERY_BURST_RUNS=N` sets the runs per user of `burst`.
//!
//! The baseline ([`baseline`]) is what one would write by hand on
//! tokio-tungstenite, with agentwire's default socket and buffer settings.
//! [`load`] is the load generator both are measured with, [`scenarios`]
//! and [`memory`] the measures, [`report`] the table.
//!
//! Every wait is bounded by a deadline and every loop by a count; only
//! 127.0.0.1 is used.

mod baseline;
mod burst;
mod load;
mod memory;
mod redis;
mod report;
mod scale;
mod scenarios;
mod served;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use agentwire::server::JwtAuth;
use agentwire::UserId;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use report::Row;

const SECRET: &str = "delivery-bench-secret";
/// Any single wait of the bench; past it the bench fails.
const DEADLINE: Duration = Duration::from_secs(90);

// Server settings shared by agentwire (its defaults) and the baseline.
pub(crate) const READ_BUFFER: usize = 1024;
pub(crate) const WRITE_BUFFER: usize = 8 * 1024;
pub(crate) const MAX_MESSAGE: usize = 64 * 1024;
pub(crate) const QUEUE: usize = 1024;
pub(crate) const BATCH: usize = 64;

/// Events a producer lets a connection fall behind (below [`QUEUE`], so
/// neither server ever drops a connection for being slow).
pub(crate) const WINDOW: u64 = 512;
/// Events emitted between two looks at the window.
pub(crate) const CHUNK: u64 = 32;

pub(crate) const SINGLE_EVENTS: u64 = 400_000;
pub(crate) const FANOUT_USERS: usize = 1_000;
pub(crate) const FANOUT_RUNS: u64 = 80;
pub(crate) const TABS: usize = 10;
pub(crate) const TAB_EVENTS: u64 = 100_000;
pub(crate) const IDLE_CONNECTIONS: usize = 5_000;
pub(crate) const CONNECTS: usize = 6_000;
pub(crate) const CONNECT_CONCURRENCY: usize = 32;
pub(crate) const EMITS: usize = 200_000;
pub(crate) const REASONING: &str = "Comparing the offers found so far against the budget";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Agentwire = 0,
    Baseline = 1,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Agentwire => "agentwire",
            Kind::Baseline => "baseline",
        }
    }
}

/// A scenario: the name `cargo bench --bench delivery -- NAME` selects it
/// by (or by a prefix of), and what measures it, both sides, into rows.
struct Scenario {
    name: &'static str,
    rows: fn(reps: usize) -> Vec<Row>,
    /// Run without naming it; a slow one is run only by name.
    default: bool,
}

/// Every scenario, in the order they run and are reported.
const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "single_stream",
        rows: scenarios::single_stream,
        default: true,
    },
    Scenario {
        name: "fanout_1k",
        rows: scenarios::fanout_1k,
        default: true,
    },
    Scenario {
        name: "burst",
        rows: burst::rows,
        default: true,
    },
    Scenario {
        name: "tabs_10",
        rows: scenarios::tabs_10,
        default: true,
    },
    Scenario {
        name: "idle_memory",
        rows: memory::rows,
        default: true,
    },
    Scenario {
        name: "connect_rate",
        rows: scenarios::connect_rate_rows,
        default: true,
    },
    Scenario {
        name: "emit_inprocess",
        rows: scenarios::emit_inprocess_rows,
        default: true,
    },
    Scenario {
        name: "scale",
        rows: scale::rows,
        default: false,
    },
];

// ---------------------------------------------------------------------------
// Clock and settings

pub(crate) fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since the bench started: the send stamp carried in payloads.
pub(crate) fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

pub(crate) fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

pub(crate) fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers())
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime")
}

pub(crate) fn server_ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(WRITE_BUFFER + MAX_MESSAGE * 4)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

pub(crate) fn client_ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(64 * 1024)
        .write_buffer_size(WRITE_BUFFER)
}

/// The hub every agentwire side is built on: the defaults, except that
/// `DELIVERY_REPLAY_EVENTS=N` sets the replay window (`0` keeps none), to
/// tell how much of a scenario's cost is the window.
pub(crate) fn hub_builder() -> agentwire::HubBuilder {
    let builder = agentwire::Hub::builder();
    match std::env::var("DELIVERY_REPLAY_EVENTS") {
        Ok(n) => builder.replay_capacity(n.parse().expect("DELIVERY_REPLAY_EVENTS: a count")),
        Err(_) => builder,
    }
}

pub(crate) fn auth() -> JwtAuth {
    JwtAuth::hs256(SECRET).expect("secret")
}

/// `(user, token)` for each name.
pub(crate) fn credentials(prefix: &str, n: usize) -> Vec<(String, String)> {
    let auth = auth();
    (0..n)
        .map(|i| {
            let user = format!("{prefix}{i}");
            let token = auth
                .issue(&UserId::new(&user).unwrap(), Duration::from_secs(3600))
                .unwrap();
            (user, token)
        })
        .collect()
}

pub(crate) async fn deadline<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, fut).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: no progress within {DEADLINE:?}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child-server") {
        let kind = match args.get(i + 1).map(String::as_str) {
            Some("agentwire") => Kind::Agentwire,
            Some("baseline") => Kind::Baseline,
            other => panic!("--child-server agentwire|baseline, not {other:?}"),
        };
        return memory::child_server(kind);
    }
    let only: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let wanted = |name: &str, default: bool| {
        if only.is_empty() {
            default
        } else {
            only.iter().any(|o| name.starts_with(o))
        }
    };
    let reps: usize = std::env::var("DELIVERY_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(3);
    scale::raise_file_limit();
    // With `--features metrics`, agentwire's probes record into a real
    // Prometheus recorder, as in an app that scrapes them: the run then
    // measures what metrics cost. Without it, the probes compile to nothing.
    #[cfg(feature = "metrics")]
    let _metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the bench installs the only recorder");
    epoch();
    let started = Instant::now();
    let rows: Vec<Row> = SCENARIOS
        .iter()
        .filter(|s| wanted(s.name, s.default))
        .flat_map(|s| (s.rows)(reps))
        .collect();
    // Two nodes on Redis against one in-memory node, with its own table.
    if wanted("redis", true) {
        redis::run(reps.min(3));
    }
    report::report(&rows, reps, started);
}
