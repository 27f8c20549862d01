//! The whole path on one machine.
//!
//! `cargo run --example golden_path` starts the server on loopback, connects
//! two demo users over real WebSocket connections, has each send a message,
//! prints each user's events as they arrive, and exits 0.
//!
//! `cargo run --example golden_path -- --serve --addr 127.0.0.1:8765 --jwt-secret SECRET`
//! keeps serving and prints a demo token; connect with
//! `cargo run --example golden_path_client -- --token TOKEN "find GPU prices"`,
//! or open the live demo page it prints (`http://127.0.0.1:8765/`), which
//! chats with the agent through the typed browser client of `clients/ts`.
//! `--port N` is short for `--addr 127.0.0.1:N`.

#[path = "common/axum_app.rs"]
mod app;
mod common;
#[path = "common/demo_page.rs"]
mod demo_page;

use std::time::Duration;

use agentwire::server::{shutdown_signal, JwtAuth, ServerConfig};
use agentwire::{Hub, UserId};

struct Args {
    serve: bool,
    addr: String,
    secret: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        serve: false,
        addr: "127.0.0.1:0".into(),
        secret: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--serve" => args.serve = true,
            "--addr" => {
                args.addr = it
                    .next()
                    .ok_or("--addr needs a value, e.g. 127.0.0.1:8765")?
            }
            "--port" => {
                let port = it.next().ok_or("--port needs a value, e.g. 8765")?;
                let port: u16 = port
                    .parse()
                    .map_err(|_| format!("--port {port}: not a port"))?;
                args.addr = format!("127.0.0.1:{port}");
            }
            "--jwt-secret" => args.secret = Some(it.next().ok_or("--jwt-secret needs a value")?),
            "-h" | "--help" => return Err(
                "usage: golden_path [--serve [--addr HOST:PORT | --port N] [--jwt-secret SECRET]]"
                    .into(),
            ),
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
    let hub = Hub::builder().agent(common::researcher).build()?;
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;

    if args.serve {
        // The endpoint mounted in an axum app, with the demo page beside it.
        let addr = listener.local_addr()?;
        let (router, ws) = demo_page::router(hub, ServerConfig::new(auth.clone()), auth.clone())?;
        let url = format!("ws://{addr}/ws");
        let token = auth.issue(&UserId::new("demo")?, Duration::from_secs(24 * 3600))?;
        println!("agentwire serving {url}");
        println!("demo page: http://{addr}/");
        println!("demo token for user `demo` (24 h): {token}");
        println!("try: cargo run --example golden_path_client -- --url {url} --token {token} \"find GPU prices\"");
        println!("press Ctrl-C (or send SIGTERM) to stop");
        let signal = async {
            shutdown_signal().await;
            println!("shutting down: runs end with their terminal events, then tabs get 1001 (signal again to stop now)");
            tokio::spawn(async {
                shutdown_signal().await;
                eprintln!("second signal: stopping now");
                std::process::exit(130);
            });
        };
        app::serve(listener, router, ws, signal).await?;
        return Ok(());
    }

    let server = hub.serve(listener, ServerConfig::new(auth.clone())).await?;
    let url = format!("ws://{}/ws", server.local_addr());

    println!("agentwire golden path: server on {url}");
    let mut sessions = Vec::new();
    for (user, message) in [
        ("alice", "find GPU prices"),
        ("bob", "this search will fail"),
    ] {
        let token = auth.issue(&UserId::new(user)?, Duration::from_secs(300))?;
        let url = url.clone();
        sessions.push(tokio::spawn(async move {
            let status = common::chat(&url, &token, user, message).await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((user, status))
        }));
    }
    for session in sessions {
        let (user, status) = session.await??;
        println!("{user}'s run ended: {status}");
    }
    server.shutdown().await;
    println!("done");
    Ok(())
}
