//! agentwire mounted in an existing axum app: REST routes and the WebSocket
//! endpoint on one port.
//!
//! `cargo run --example axum_app -- --addr 127.0.0.1:8080 --jwt-secret SECRET`
//! serves `GET /api/health`, `POST /api/token` (development only: it issues
//! a token to anyone) and agentwire at `GET /ws`, until SIGINT or SIGTERM.
//!
//! ```sh
//! curl http://127.0.0.1:8080/api/health
//! curl -X POST -H 'content-type: application/json' -d '{"user":"alice"}' http://127.0.0.1:8080/api/token
//! cargo run --example golden_path_client -- --url ws://127.0.0.1:8080/ws --token TOKEN "find GPU prices"
//! ```

#[path = "common/axum_app.rs"]
mod app;
mod common;

use agentwire::server::{shutdown_signal, JwtAuth, ServerConfig};
use agentwire::Hub;
use tokio::sync::oneshot;

struct Args {
    addr: String,
    secret: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:0".into(),
        secret: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--addr" => {
                args.addr = it
                    .next()
                    .ok_or("--addr needs a value, e.g. 127.0.0.1:8080")?
            }
            "--jwt-secret" => args.secret = Some(it.next().ok_or("--jwt-secret needs a value")?),
            "-h" | "--help" => {
                return Err("usage: axum_app [--addr HOST:PORT] [--jwt-secret SECRET]".into())
            }
            other => return Err(format!("unknown argument `{other}`; try --help")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let secret = args
        .secret
        .clone()
        .unwrap_or_else(|| format!("demo-secret-{}", std::process::id()));
    let auth = JwtAuth::hs256(&secret)?;
    app::install_metrics();
    let hub = Hub::builder().agent(common::researcher).build()?;
    let (router, ws) = app::app(hub, ServerConfig::new(auth.clone()), auth)?;

    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    let addr = listener.local_addr()?;
    println!("axum app with agentwire listening on http://{addr}");
    println!("  GET  http://{addr}/api/health");
    println!(
        "  POST http://{addr}/api/token  {{\"user\":\"alice\"}}  (development only: issues a token to anyone)"
    );
    if cfg!(feature = "metrics") {
        println!("  GET  http://{addr}/metrics  (Prometheus text)");
    }
    println!("  GET  ws://{addr}/ws  (Authorization: Bearer <token>, or subprotocols agentwire.v1, bearer.<token>)");
    println!("press Ctrl-C (or send SIGTERM) to stop");

    // The first signal starts the graceful shutdown (agentwire's, then
    // axum's); a second one while it runs stops at once.
    let (signalled, first_signal) = oneshot::channel();
    let signal = async move {
        shutdown_signal().await;
        println!("shutting down: runs end with their terminal events, then tabs get 1001 (signal again to stop now)");
        let _ = signalled.send(());
    };
    tokio::select! {
        served = app::serve(listener, router, ws, signal) => served?,
        _ = async {
            if first_signal.await.is_ok() {
                shutdown_signal().await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            eprintln!("second signal: stopping now");
            std::process::exit(130);
        }
    }
    println!("done");
    Ok(())
}
