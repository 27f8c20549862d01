//! A command-line client: connects as the token's user, sends one message,
//! prints the events as they arrive, and exits non-zero if the run failed.
//!
//! `cargo run --example golden_path_client -- [--url ws://127.0.0.1:8765/ws] --token TOKEN MESSAGE`

mod common;

#[tokio::main]
async fn main() {
    let mut url = "ws://127.0.0.1:8765/ws".to_owned();
    let mut token = None;
    let mut message = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--url" => url = it.next().unwrap_or_default(),
            "--token" => token = it.next(),
            "-h" | "--help" => {
                println!("usage: golden_path_client [--url URL] --token TOKEN MESSAGE");
                return;
            }
            _ => message.push(arg),
        }
    }
    let (Some(token), false) = (token, message.is_empty()) else {
        eprintln!("usage: golden_path_client [--url URL] --token TOKEN MESSAGE");
        std::process::exit(2);
    };
    match common::chat(&url, &token, "you", &message.join(" ")).await {
        Ok(status) if status == "completed" => println!("run completed"),
        Ok(status) => {
            eprintln!("run ended: {status}");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
