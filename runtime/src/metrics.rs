//! Metrics through the `metrics` facade, with the `metrics` feature: the
//! application installs a recorder (e.g. `metrics-exporter-prometheus`) and
//! these show up in it. Without the feature every probe is an empty inline
//! function: nothing is computed, allocated or locked.
//!
//! Labels are agent names, statuses and reasons: never a user id, a token
//! or anything else a client chooses.

#[cfg(feature = "metrics")]
use ::metrics::{counter, gauge, histogram};

use crate::{RunStatus, ToolStatus};

/// Defines each probe twice: its body with the feature, nothing without.
macro_rules! probes {
    ($( $(#[$meta:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block )*) => {
        $(
            $(#[$meta])*
            #[cfg(feature = "metrics")]
            pub(crate) fn $name($($arg: $ty),*) $body

            $(#[$meta])*
            #[cfg(not(feature = "metrics"))]
            #[inline(always)]
            pub(crate) fn $name($(_: $ty),*) {}
        )*
    };
}

probes! {
    /// `agentwire_runs_started_total{agent}`
    fn run_started(agent: &str) {
        counter!("agentwire_runs_started_total", "agent" => agent.to_owned()).increment(1);
    }

    /// `agentwire_runs_ended_total{agent,status}` and
    /// `agentwire_run_duration_seconds{agent,status}`.
    fn run_ended(agent: &str, status: RunStatus, elapsed: std::time::Duration) {
        let labels = [("agent", agent.to_owned()), ("status", status.as_str().to_owned())];
        counter!("agentwire_runs_ended_total", &labels).increment(1);
        histogram!("agentwire_run_duration_seconds", &labels).record(elapsed.as_secs_f64());
    }

    /// `agentwire_runs_cancelled_total{agent,reason}`: `client` or `budget`.
    fn run_cancelled(agent: &str, reason: &'static str) {
        counter!("agentwire_runs_cancelled_total", "agent" => agent.to_owned(), "reason" => reason)
            .increment(1);
    }

    /// `agentwire_runs_refused_total{reason}`: a `user_message` that
    /// started no run (`run_cap`, `unknown_agent`, `no_agent`, `shutting_down`).
    fn run_refused(reason: &'static str) {
        counter!("agentwire_runs_refused_total", "reason" => reason).increment(1);
    }

    /// `agentwire_tool_calls_total{agent,status}`
    fn tool_call_ended(agent: &str, status: ToolStatus) {
        counter!("agentwire_tool_calls_total", "agent" => agent.to_owned(), "status" => status.as_str())
            .increment(1);
    }

    /// `agentwire_events_emitted_total{type}`
    fn event_emitted(event_type: &'static str) {
        counter!("agentwire_events_emitted_total", "type" => event_type).increment(1);
    }

    /// `agentwire_handler_panics_total{agent}`
    fn handler_panicked(agent: &str) {
        counter!("agentwire_handler_panics_total", "agent" => agent.to_owned()).increment(1);
    }

    /// `agentwire_connections_open`
    fn connection_opened() {
        gauge!("agentwire_connections_open").increment(1.0);
    }

    /// `agentwire_connections_open`
    fn connection_ended() {
        gauge!("agentwire_connections_open").decrement(1.0);
    }

    /// `agentwire_connections_closed_total{reason}`: the close code's name
    /// (`slow_consumer`, `rate_limited`, `token_expired`,
    /// `over_connection_cap`, ...), or `gone` when no close frame could be sent.
    fn connection_closed(reason: &'static str) {
        counter!("agentwire_connections_closed_total", "reason" => reason).increment(1);
    }

    /// `agentwire_handshakes_refused_total{reason}`
    fn handshake_refused(reason: &'static str) {
        counter!("agentwire_handshakes_refused_total", "reason" => reason).increment(1);
    }

    /// `agentwire_replay_requests_total{outcome}`: `recovered` or `not_recovered`.
    fn replay_requested(recovered: bool) {
        let outcome = if recovered { "recovered" } else { "not_recovered" };
        counter!("agentwire_replay_requests_total", "outcome" => outcome).increment(1);
    }

    /// `agentwire_bytes_written_total`: payload bytes of the text frames
    /// written to connections.
    fn bytes_written(bytes: usize) {
        counter!("agentwire_bytes_written_total").increment(bytes as u64);
    }
}

/// Every metric agentwire records: name, kind, labels and help, as the
/// README lists them. [`describe`] registers the help texts.
pub const METRICS: &[(&str, &str, &str, &str)] = &[
    (
        "agentwire_connections_open",
        "gauge",
        "",
        "open WebSocket connections",
    ),
    (
        "agentwire_connections_closed_total",
        "counter",
        "reason",
        "connections closed, by close reason",
    ),
    (
        "agentwire_handshakes_refused_total",
        "counter",
        "reason",
        "handshakes answered with an HTTP error, by reason",
    ),
    (
        "agentwire_runs_started_total",
        "counter",
        "agent",
        "runs started",
    ),
    (
        "agentwire_runs_ended_total",
        "counter",
        "agent, status",
        "runs ended, by status",
    ),
    (
        "agentwire_run_duration_seconds",
        "histogram",
        "agent, status",
        "run durations",
    ),
    (
        "agentwire_runs_cancelled_total",
        "counter",
        "agent, reason",
        "runs cancelled by a client or their time budget",
    ),
    (
        "agentwire_runs_refused_total",
        "counter",
        "reason",
        "user_messages that started no run, by reason",
    ),
    (
        "agentwire_tool_calls_total",
        "counter",
        "agent, status",
        "tool calls ended, by status",
    ),
    (
        "agentwire_events_emitted_total",
        "counter",
        "type",
        "events emitted, by type",
    ),
    (
        "agentwire_bytes_written_total",
        "counter",
        "",
        "bytes of text frames written to connections",
    ),
    (
        "agentwire_replay_requests_total",
        "counter",
        "outcome",
        "resumes asked for, by outcome",
    ),
    (
        "agentwire_handler_panics_total",
        "counter",
        "agent",
        "agent handlers that panicked",
    ),
];

/// Registers the help text and unit of every agentwire metric with the
/// installed recorder; call it once after installing one. Optional: the
/// metrics are recorded either way.
#[cfg(feature = "metrics")]
pub fn describe() {
    for &(name, kind, _, help) in METRICS {
        match kind {
            "gauge" => ::metrics::describe_gauge!(name, help),
            "histogram" => ::metrics::describe_histogram!(name, ::metrics::Unit::Seconds, help),
            _ if name.ends_with("_bytes_written_total") => {
                ::metrics::describe_counter!(name, ::metrics::Unit::Bytes, help)
            }
            _ => ::metrics::describe_counter!(name, help),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The README's metrics table lists [`super::METRICS`], in order, with
    /// the same kinds and labels.
    #[test]
    fn the_readme_lists_every_metric() {
        let readme = include_str!("../../README.md");
        let table: Vec<(String, String, String)> = readme
            .split("## Metrics")
            .nth(1)
            .expect("a Metrics section")
            .lines()
            .filter(|l| l.starts_with("| `agentwire_"))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                (
                    cells[1].trim_matches('`').to_owned(),
                    cells[2].to_owned(),
                    cells[3].replace('`', ""),
                )
            })
            .collect();
        let listed: Vec<(String, String, String)> = super::METRICS
            .iter()
            .map(|(n, k, l, _)| (n.to_string(), k.to_string(), l.to_string()))
            .collect();
        assert_eq!(table, listed);
        for (name, _, labels, _) in super::METRICS {
            assert!(
                !labels.contains("user") && !labels.contains("token"),
                "{name}"
            );
        }
    }
}
