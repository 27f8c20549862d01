//! Process signals for graceful shutdown.

/// Resolves when the process is asked to stop: SIGINT (Ctrl-C) or SIGTERM
/// (what systemd, Docker and Kubernetes send) on Unix, Ctrl-C elsewhere.
///
/// Wire it to [`Server::shutdown`](super::Server::shutdown), or to
/// `axum::serve(..).with_graceful_shutdown(..)` and
/// [`WsService::shutdown`](super::WsService::shutdown). Call it again while
/// shutting down to treat a second signal as "stop now":
///
/// ```no_run
/// use agentwire::server::{shutdown_signal, Server};
///
/// async fn run_until_stopped(server: Server) {
///     shutdown_signal().await;
///     tokio::select! {
///         _ = server.shutdown() => {}
///         _ = shutdown_signal() => std::process::exit(130),
///     }
/// }
/// ```
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            // No signal handling to be had: never resolve rather than
            // stop a server that nobody asked to stop.
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
