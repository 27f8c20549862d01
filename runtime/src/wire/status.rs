//! How runs and tool calls end, as spelt on the wire.

/// How a run ended, as carried by `agent_completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The run finished with a result.
    Completed,
    /// The run returned an error, panicked, or was dropped without `agent_completed`.
    Failed,
    /// The run's task was cancelled (aborted, or the server shut down).
    Cancelled,
}

impl RunStatus {
    /// The wire spelling: `completed`, `failed` or `cancelled`.
    ///
    /// ```
    /// assert_eq!(agentwire::RunStatus::Failed.as_str(), "failed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// How a tool call ended, as carried by `tool_completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    /// The tool returned a result.
    Success,
    /// The tool failed; `error` says why.
    Error,
    /// The tool call was dropped before it completed.
    Cancelled,
}

impl ToolStatus {
    /// The wire spelling: `success`, `error` or `cancelled`.
    ///
    /// ```
    /// assert_eq!(agentwire::ToolStatus::Cancelled.as_str(), "cancelled");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ToolStatus::Success => "success",
            ToolStatus::Error => "error",
            ToolStatus::Cancelled => "cancelled",
        }
    }
}
