//! `scale` (run by name only): as many concurrent authenticated
//! connections as the box allows, up to [`SCALE_TARGET`] (or
//! `DELIVERY_SCALE`), one user each, held by one server in a child
//! process. Reports the server's resident memory, and the latency of a
//! golden-path run of one user while 1% of the users run too (each starts a
//! run every second, at a random phase).
//!
//! Clients connect from several loopback addresses (127.0.0.2 …) so that
//! the ephemeral port range is no limit; the file limit is raised to the
//! hard limit at start. What runs out first is reported.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::burst::{percentile, RUN_EVENTS};
use crate::memory::{rss, spawn_server};
use crate::report::{Goal, Row};
use crate::scenarios::both;
use crate::{credentials, deadline, runtime, Kind};

pub(crate) const SCALE_TARGET: usize = 100_000;
/// Loopback source addresses the clients spread over.
const SOURCES: u8 = 8;
/// Runs of the measured user, one every [`MEASURED_EVERY`]: within the
/// default inbound rate limit (10 messages a second).
const MEASURED_RUNS: usize = 100;
const MEASURED_EVERY: Duration = Duration::from_millis(120);
/// File descriptors kept for everything but the connections.
const SPARE_FDS: u64 = 200;

type Client = WebSocketStream<tokio::net::TcpStream>;

/// Raises this process's file limit to its hard limit (children inherit
/// it); returns the limit.
pub(crate) fn raise_file_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

fn client_config() -> WebSocketConfig {
    // Idle clients by the ten thousand: small buffers.
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
}

/// Connects from `source` and reads `connection_established`.
async fn connect_from(server: SocketAddr, source: Ipv4Addr, user: &str, token: &str) -> Client {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(source.into(), 0))
        .expect("bind a loopback source address");
    let stream = socket.connect(server).await.expect("TCP connect");
    let _ = stream.set_nodelay(true);
    let mut request = format!("ws://{server}/ws?user={user}")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(client_config()))
            .await
            .expect("handshake");
    match ws.next().await {
        Some(Ok(Message::Text(t))) if t.as_str().contains("connection_established") => ws,
        other => panic!("no connection_established: {other:?}"),
    }
}

/// One run: sends a `user_message`, reads until `agent_completed`.
async fn run_once(ws: &mut Client) -> Duration {
    let sent = Instant::now();
    let message = r#"{"type":"user_message","payload":{"content":"0"}}"#;
    ws.send(Message::text(message)).await.expect("send");
    let mut events = 0;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                events += 1;
                if text.as_str().starts_with(r#"{"type":"agent_completed""#) {
                    assert_eq!(events, RUN_EVENTS);
                    return sent.elapsed();
                }
            }
            Some(Ok(_)) => {}
            other => panic!("the stream ended: {other:?}"),
        }
    }
}

#[derive(Clone)]
struct Scale {
    connections: f64,
    rss_mib: f64,
    kib_per_conn: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn scale(kind: Kind) -> Scale {
    let limit = raise_file_limit();
    let wanted: usize = std::env::var("DELIVERY_SCALE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(SCALE_TARGET);
    // Server and clients are each one process under the same limit.
    let n = wanted.min(limit.saturating_sub(SPARE_FDS) as usize);
    if n < wanted {
        eprintln!(
            "  scale: {n} of {wanted} connections: the file limit is {limit} per process \
             (the hard limit; raising it needs CAP_SYS_RESOURCE)"
        );
    }
    let (child, url) = spawn_server(kind);
    let pid = child.pid();
    let server: SocketAddr = url
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .expect("server address");
    let client_rt = runtime("client");
    let users = credentials("scale", n);
    let warm = credentials("scalewarm", 20);
    let connect_all = |users: &[(String, String)], offset: usize| {
        let connecting = futures_util::stream::iter(users.iter().enumerate())
            .map(|(i, (user, token))| {
                let source = Ipv4Addr::new(127, 0, 0, 2 + ((i + offset) % SOURCES as usize) as u8);
                connect_from(server, source, user, token)
            })
            .buffered(64)
            .collect::<Vec<_>>();
        client_rt.block_on(deadline("connecting", connecting))
    };
    drop(connect_all(&warm, 0));
    std::thread::sleep(Duration::from_millis(300));
    let before = rss(pid);
    let started = Instant::now();
    let mut conns = connect_all(&users, 0);
    let connect_secs = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(500));
    let after = rss(pid);
    eprintln!(
        "  scale: {n} connections in {connect_secs:.1}s; server RSS {:.0} MiB",
        after as f64 / (1 << 20) as f64
    );
    // User 0 is measured; 1% of the others run once a second; the rest
    // only answer pings.
    let mut measured = conns.remove(0);
    let running = (n / 100).max(1);
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(conns.len());
    for (i, mut ws) in conns.into_iter().enumerate() {
        let stop = stop.clone();
        tasks.push(client_rt.spawn(async move {
            if i < running {
                // A random phase, so the runs spread over each second.
                let phase = (i as u64 * 7919) % 1000;
                tokio::time::sleep(Duration::from_millis(phase)).await;
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    run_once(&mut ws).await;
                }
            } else {
                while !stop.load(Ordering::Relaxed) {
                    match tokio::time::timeout(Duration::from_millis(500), ws.next()).await {
                        Ok(Some(Ok(_))) | Err(_) => {}
                        Ok(_) => break,
                    }
                }
            }
        }));
    }
    // Let the background runs reach their pace.
    std::thread::sleep(Duration::from_millis(1500));
    let mut latencies: Vec<u32> = client_rt.block_on(deadline("measured runs", async {
        let mut out = Vec::with_capacity(MEASURED_RUNS);
        let mut tick = tokio::time::interval(MEASURED_EVERY);
        for _ in 0..MEASURED_RUNS {
            tick.tick().await;
            out.push(run_once(&mut measured).await.as_micros() as u32);
        }
        out
    }));
    stop.store(true, Ordering::Relaxed);
    client_rt.block_on(async {
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    });
    drop(measured);
    client_rt.shutdown_timeout(Duration::from_secs(5));
    drop(child);
    Scale {
        connections: n as f64,
        rss_mib: after as f64 / (1 << 20) as f64,
        kib_per_conn: after.saturating_sub(before) as f64 / n as f64 / 1024.0,
        p50_ms: percentile(&mut latencies, 50) / 1000.0,
        p99_ms: percentile(&mut latencies, 99) / 1000.0,
    }
}

/// `scale`: connections held, server RSS, run latency under load.
pub(crate) fn rows(_reps: usize) -> Vec<Row> {
    // One repetition: each takes tens of seconds and the figures are
    // absolute.
    let sides = both("scale", 1, scale);
    vec![
        Row::median(
            "scale_connections",
            "conns",
            &sides,
            |s| s.connections,
            Goal::None,
        ),
        Row::median(
            "scale_rss",
            "MiB",
            &sides,
            |s| s.rss_mib,
            Goal::AbsoluteAtMost(1024.0),
        ),
        Row::median(
            "scale_memory",
            "KiB/conn",
            &sides,
            |s| s.kib_per_conn,
            Goal::None,
        ),
        Row::median("scale_p50", "ms", &sides, |s| s.p50_ms, Goal::None),
        Row::median(
            "scale_p99",
            "ms",
            &sides,
            |s| s.p99_ms,
            Goal::AbsoluteAtMost(50.0),
        ),
    ]
}
