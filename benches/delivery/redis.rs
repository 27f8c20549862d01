//! The multi-node scenario: the same load through two agentwire nodes on
//! one Redis (the agent's events emitted on node A, the tabs on node B)
//! and, as the reference in the same run, through one in-memory node.
//!
//! `cargo bench --bench delivery --features redis -- redis` runs only this.
//! It starts its own `redis-server` (persistence off) and is skipped with
//! a notice when there is none on PATH or the feature is off.

/// Runs the scenario and prints its table; `reps` repetitions each.
pub fn run(reps: usize) {
    #[cfg(not(feature = "redis"))]
    {
        let _ = reps;
        println!("redis: skipped (build with `--features redis` to run the multi-node scenario)");
    }
    #[cfg(feature = "redis")]
    enabled::run(reps);
}

#[cfg(feature = "redis")]
mod enabled {
    use std::sync::Arc;

    use agentwire::prelude::*;
    use agentwire::server::{Server, ServerConfig};
    use serde_json::json;
    use tokio::net::TcpListener;
    use tokio::sync::Notify;

    use crate::load::{connect_many, consume, wait_received, Tab};
    use crate::report::{fmt_num, median};
    use crate::*;

    const SINGLE: u64 = 40_000;
    const FANOUT_USERS: usize = 200;
    const FANOUT_EVENTS: u64 = 100;

    #[derive(Clone, Copy, Debug)]
    struct Measured {
        rate: f64,
        p99_us: f64,
    }
    use std::process::{Child, Command, Stdio};

    struct OwnRedis(Child, String);

    impl Drop for OwnRedis {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn start_redis() -> Option<OwnRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = OwnRedis(child, format!("redis://127.0.0.1:{port}"));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    /// The emitting hub and the serving node of one setup.
    struct Nodes {
        emitter: Hub,
        server: Server,
        url: String,
    }

    async fn nodes(redis: Option<&str>) -> Nodes {
        let hub = |redis: Option<&str>| {
            let builder = crate::hub_builder();
            match redis {
                Some(url) => builder.redis(url).build().unwrap(),
                None => builder.build().unwrap(),
            }
        };
        let serving = hub(redis);
        let emitter = if redis.is_some() {
            hub(redis)
        } else {
            serving.clone()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = serving
            .serve(listener, ServerConfig::new(auth()))
            .await
            .unwrap();
        let url = format!("ws://{}/ws", server.local_addr());
        Nodes {
            emitter,
            server,
            url,
        }
    }

    fn p99(mut latencies: Vec<u32>) -> f64 {
        latencies.sort_unstable();
        latencies
            .get(latencies.len() * 99 / 100)
            .map_or(0.0, |&l| f64::from(l))
    }

    /// `users` tabs on the serving node, one each; `events` per user
    /// emitted on the emitting hub, round robin, never more than
    /// [`WINDOW`] ahead of the slowest tab.
    async fn measure(redis: Option<&str>, users: usize, events: u64) -> Measured {
        let nodes = nodes(redis).await;
        let creds = credentials("r", users);
        let notify = Arc::new(Notify::new());
        let mut tabs = Vec::new();
        let mut readers = Vec::new();
        for ws in connect_many(&nodes.url, &creds, 32).await {
            let tab = Tab::new(&notify);
            tabs.push(tab.clone());
            readers.push(tokio::spawn(consume(ws, events, tab, true)));
        }
        let mut runs = Vec::new();
        for (user, _) in &creds {
            let ctx =
                UserExecutionContext::new(UserId::new(user).unwrap(), ThreadId::new("t").unwrap());
            let bridge = nodes
                .emitter
                .factory()
                .create_manager(&ctx)
                .await
                .unwrap()
                .bridge();
            runs.push(emit!(
                bridge,
                agent_started {
                    agent_name: "bench",
                    message: format!("{} go", now_ns())
                }
            ));
        }
        let start = Instant::now();
        for i in 1..events - 1 {
            for run in &runs {
                emit!(
                    run,
                    agent_thinking {
                        reasoning: format!("{} {REASONING}", now_ns())
                    }
                );
            }
            if i % CHUNK == 0 && i > WINDOW {
                deadline("the window", wait_received(&tabs, &notify, i - WINDOW)).await;
            }
        }
        for run in runs {
            emit!(
                run,
                agent_completed {
                    result: json!({ "t": now_ns() })
                }
            );
        }
        let mut latencies = Vec::new();
        let mut done = start;
        for reader in readers {
            let (at, mut l) = deadline("the last event", reader).await.unwrap();
            done = done.max(at);
            latencies.append(&mut l);
        }
        let elapsed = done.duration_since(start).as_secs_f64();
        nodes.server.shutdown().await;
        Measured {
            rate: (users as u64 * events) as f64 / elapsed,
            p99_us: p99(latencies),
        }
    }

    pub fn run(reps: usize) {
        let Some(redis) = start_redis() else {
            println!("redis: skipped (no redis-server on PATH; apt-get install redis-server)");
            return;
        };
        let rt = runtime("redis-bench");
        let mut table = Vec::new();
        for (name, users, events) in [
            ("redis_single_stream", 1, SINGLE),
            ("redis_fanout_200", FANOUT_USERS, FANOUT_EVENTS),
        ] {
            let mut memory = Vec::new();
            let mut two_nodes = Vec::new();
            for _ in 0..reps {
                memory.push(rt.block_on(measure(None, users, events)));
                two_nodes.push(rt.block_on(measure(Some(&redis.1), users, events)));
            }
            let med = |v: &[Measured], f: fn(&Measured) -> f64| median(v.iter().map(f).collect());
            table.push((
                name,
                "events/s",
                med(&two_nodes, |m| m.rate),
                med(&memory, |m| m.rate),
            ));
            table.push((
                name,
                "p99 µs",
                med(&two_nodes, |m| m.p99_us),
                med(&memory, |m| m.p99_us),
            ));
        }
        println!();
        println!(
            "{:<20} {:>9} {:>16} {:>16} {:>7}",
            "scenario", "unit", "2 nodes+Redis", "1 node memory", "ratio"
        );
        for (name, unit, redis, memory) in table {
            println!(
                "{name:<20} {unit:>9} {:>16} {:>16} {:>7.2}",
                fmt_num(redis),
                fmt_num(memory),
                redis / memory
            );
        }
        println!("median of {reps}; Redis {}", redis.1);
    }
}
