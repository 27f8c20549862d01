//! SIGTERM and SIGINT stop a server gracefully: open runs end with their
//! terminal events and tabs get 1001. One test in its own binary, since it
//! signals its own process.

mod support;

use std::time::Duration;

use agentwire::server::shutdown_signal;
use support::*;

fn signal_self(name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_sigint_shut_the_server_down_gracefully() {
    for name in ["TERM", "INT"] {
        let t = start(config()).await;
        let mut tab = Client::connect(&t.url, "vera").await;
        tab.send_to("sleeper", "wait").await;
        assert_eq!(tab.recv().await["type"], "agent_started");
        assert_eq!(tab.recv().await["type"], "tool_executing");

        let server = t.server;
        let stopped = tokio::spawn(async move {
            shutdown_signal().await;
            server.shutdown().await;
        });
        // Let the handler install before the signal is sent.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!stopped.is_finished(), "stopped before SIG{name}");
        signal_self(name);

        let (events, close) = tab.recv_close().await;
        assert_eq!(
            types(&events),
            ["tool_completed", "agent_completed"],
            "SIG{name}"
        );
        assert_eq!(events[1]["payload"]["status"], "cancelled");
        assert_eq!(close.map(|c| u16::from(c.code)), Some(1001), "SIG{name}");
        tokio::time::timeout(WAIT, stopped).await.unwrap().unwrap();
    }
}
