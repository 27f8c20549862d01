//! Runs and tool calls: the typed halves of the lifecycle.
//!
//! A [`Run`] exists between `agent_started` and `agent_completed`; a
//! [`ToolCall`] between `tool_executing` and `tool_completed`, borrowing its
//! run so the run cannot complete while the call is open. Dropping either
//! without its closing event emits the closing event itself.
//!
//! This is the state machine only: every byte an event puts on the wire is
//! written by [`crate::wire`].

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::bridge::AgentBridge;
use crate::builder::CustomEvent;
use crate::control::{Cancel, Cancellation, Gate};
use crate::events::{
    agent_completed, agent_started, agent_thinking, tool_completed, tool_executing,
};
use crate::log::UserLog;
use crate::wire::lifecycle::{
    AgentCompleted, Executing, Lifecycle, Outcome, Started, Thinking, ToolCompleted,
};
use crate::wire::{self, Identity, RunStatus, Scratch, Tail, ToolStatus};
use crate::{Error, RunId, ThreadId, ToolCallId, UserId};

/// One run of an agent, started by `emit!(bridge, agent_started { .. })`.
///
/// `agent_thinking`, `tool_executing` and custom events are emitted on it;
/// `emit!(run, agent_completed { .. })` consumes it, so nothing can follow.
/// A run dropped without `agent_completed` (an early `?`, a panic, a
/// cancelled task) emits `agent_completed` with status `failed` itself, so
/// every run ends exactly once. Inside an [`#[agent]`](macro@crate::agent)
/// handler the run is borrowed and the macro ends it. Lifecycle events are
/// never refused: one over the hub's `max_event_size` is sent with its
/// large fields cut short (see [the size limit](crate::events#the-size-limit)).
///
/// A run can also be ended from outside: by a `cancel_run` from one of its
/// user's tabs, or when its time budget runs out
/// ([`set_budget`](Run::set_budget), the hub's
/// [`run_budget`](crate::HubBuilder::run_budget)). It then sends its
/// terminal events at once (open tool calls `cancelled`, `agent_completed`
/// `cancelled`), [`cancelled`](Run::cancelled) resolves, and whatever is
/// emitted on it afterwards is dropped: no event of a run ever follows its
/// `agent_completed`.
///
/// ```
/// use agentwire::prelude::*;
/// use serde_json::json;
///
/// # fn demo(bridge: &AgentBridge) {
/// let run = emit!(bridge, agent_started { agent_name: "researcher" });
/// emit!(run, agent_thinking { reasoning: "Looking for GPU prices", step_number: 1u32 });
/// emit!(run, agent_completed { result: json!({"answer": 3}) });
/// # }
/// ```
pub struct Run {
    core: Arc<RunCore>,
    /// Set by `#[agent]`, which owns the run: a drop then means cancellation.
    cancel_on_drop: bool,
}

/// What a run shares with whoever may end it from outside its owner: a
/// client's `cancel_run` and the timer of its budget.
///
/// Laid out in declaration order: what every emit reads (the gate, the log
/// and the envelope fields) comes first and shares a cache line, so an
/// emit over many users' runs touches one line of each run, not three.
#[repr(C)]
pub(crate) struct RunCore {
    /// Closed by the run's terminal events: nothing is emitted after them.
    gate: Gate,
    log: Arc<UserLog>,
    /// The envelope fields every event of the run shares, written once.
    identity: Identity,
    id: RunId,
    thread: ThreadId,
    agent_name: Arc<str>,
    started: Instant,
    cancel: Cancellation,
    /// The `status` of `agent_completed` once it is sent; 0 before.
    status: AtomicU8,
    /// Tool calls emitted but not completed. A `ToolCall` closes its own
    /// entry; whatever is left when the run ends (a call leaked with
    /// `mem::forget`, or open when the run was cancelled) is closed as
    /// `cancelled` before `agent_completed`.
    /// A `Mutex`, not a `RefCell`: an `#[agent]` handler holds `&Run`
    /// across `.await` in a `Send` future, so `Run` must be `Sync`.
    open_calls: Mutex<Vec<OpenCall>>,
    /// `agentwire.run`: open from `agent_started` to `agent_completed`.
    span: tracing::Span,
}

struct OpenCall {
    id: ToolCallId,
    tool_name: Arc<str>,
    started: Instant,
}

impl Run {
    pub(crate) fn start(bridge: &AgentBridge, event: agent_started) -> Run {
        let id = RunId::fresh();
        let mut agent_name = event.agent_name;
        let name_cut = wire::fit_agent_name(&mut agent_name);
        let identity = Identity::new(bridge.user_id(), &bridge.thread, &id, &agent_name);
        let span = tracing::info_span!(
            "agentwire.run",
            agent = &*agent_name,
            run_id = %id,
            user_id = %bridge.user_id(),
            thread_id = %bridge.thread,
        );
        let core = Arc::new(RunCore {
            span,
            log: bridge.log.clone(),
            id,
            thread: bridge.thread.clone(),
            agent_name: Arc::from(agent_name),
            identity,
            started: Instant::now(),
            gate: Gate::default(),
            cancel: Cancellation::default(),
            status: AtomicU8::new(0),
            open_calls: Mutex::new(Vec::new()),
        });
        core.log.run_started(&core.id, Arc::downgrade(&core));
        crate::metrics::run_started(&core.agent_name);
        core.emit(&Started {
            message: event.message.as_deref(),
            name_cut,
        });
        Run {
            core,
            cancel_on_drop: false,
        }
    }

    /// The run's `tracing` span, `agentwire.run` (with `agent`, `run_id`,
    /// `user_id` and `thread_id`): open until the run ends, and the
    /// parent of each tool call's `agentwire.tool_call` span. An
    /// [`#[agent]`](macro@crate::agent) handler runs inside it.
    pub fn span(&self) -> &tracing::Span {
        &self.core.span
    }

    /// This run's id, as in every envelope's `run_id`.
    pub fn id(&self) -> &RunId {
        &self.core.id
    }

    /// The user this run emits to.
    pub fn user_id(&self) -> &UserId {
        self.core.log.user()
    }

    /// The thread this run belongs to.
    pub fn thread_id(&self) -> &ThreadId {
        &self.core.thread
    }

    /// The agent's name, as in every envelope's `agent_name`.
    pub fn agent_name(&self) -> &str {
        &self.core.agent_name
    }

    /// Resolves once the run is cancelled: by a `cancel_run` from one of
    /// the user's tabs, or because its time budget ran out. By then the
    /// run's terminal events are sent (open tool calls `cancelled`, then
    /// `agent_completed` with status `cancelled`) and anything emitted on
    /// it is dropped, so an agent waiting on a long tool can stop at once:
    ///
    /// ```
    /// use agentwire::prelude::*;
    /// # async fn slow_search(q: &str) -> Vec<String> { vec![q.to_owned()] }
    ///
    /// #[agent(name = "researcher")]
    /// async fn researcher(run: &Run, msg: UserMessage) -> Result<usize, AgentError> {
    ///     let call = emit!(run, tool_executing { tool_name: "search" });
    ///     tokio::select! {
    ///         hits = slow_search(&msg.content) => {
    ///             emit!(call, tool_completed { result: serde_json::json!(hits) });
    ///             Ok(hits.len())
    ///         }
    ///         _ = run.cancelled() => Err(AgentError::new("cancelled")),
    ///     }
    /// }
    /// ```
    ///
    /// An `#[agent]` handler need not do this: `#[agent]` stops awaiting
    /// it as soon as its run is cancelled. Cancel-safe: dropping the future
    /// changes nothing.
    pub async fn cancelled(&self) {
        let core = &self.core;
        core.cancel.wait(|| core.cancelled_and_ended()).await
    }

    /// Whether the run was cancelled (see [`cancelled`](Self::cancelled)).
    pub fn is_cancelled(&self) -> bool {
        self.core.cancelled_and_ended()
    }

    /// Gives the run a time budget from now: when it runs out before the
    /// run ends, the run is cancelled: its open tool calls end `cancelled`,
    /// then `agent_completed` is sent with status `cancelled` and an error
    /// saying the budget ran out, and later emits on this run are dropped
    /// (custom events return [`Error::RunEnded`]). Each call starts a new
    /// budget; the earliest to run out ends the run.
    ///
    /// Runs of an [`#[agent]`](macro@crate::agent) already have one (the
    /// hub's [`run_budget`](crate::HubBuilder::run_budget), or the agent's
    /// `timeout`). Needs a tokio runtime: outside one it returns
    /// [`Error::Config`] and sets nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use agentwire::prelude::*;
    ///
    /// # async fn demo(bridge: &AgentBridge) -> Result<(), agentwire::Error> {
    /// let run = emit!(bridge, agent_started { agent_name: "importer" });
    /// run.set_budget(Duration::from_secs(30))?;
    /// // ... if this takes longer than 30 s, the run ends `cancelled` on its own.
    /// emit!(run, agent_completed {});
    /// # Ok(()) }
    /// ```
    pub fn set_budget(&self, budget: Duration) -> Result<(), Error> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::config("Run::set_budget needs a tokio runtime"))?;
        let core = self.core.clone();
        runtime.spawn(async move {
            let ended = core
                .cancel
                .wait(|| core.status.load(Ordering::Acquire) != 0);
            tokio::select! {
                _ = tokio::time::sleep(budget) => {
                    core.cancel(Cancel::Budget(budget));
                }
                _ = ended => {}
            }
        });
        Ok(())
    }

    pub(crate) fn cancel_on_drop(&mut self) {
        self.cancel_on_drop = true;
    }

    pub(crate) fn core(&self) -> &Arc<RunCore> {
        &self.core
    }

    pub(crate) fn think(&self, event: agent_thinking) {
        self.core.think(event)
    }

    pub(crate) fn execute_tool(&self, event: tool_executing) -> ToolCall<'_> {
        let (id, tool_name, ended) = self.core.execute_tool(event);
        let span = tracing::debug_span!(
            parent: &self.core.span,
            "agentwire.tool_call",
            tool_name = &*tool_name,
            tool_call_id = %id,
        );
        ToolCall {
            run: self,
            id,
            tool_name,
            ended,
            _span: span,
        }
    }

    pub(crate) fn emit_custom<E: CustomEvent>(&self, event: &E) -> Result<(), Error> {
        self.core.emit_custom(event)
    }

    /// Ends the run; `error` wins over `result` for the status. Returns the
    /// status the run ended with: `cancelled` if it had been cancelled.
    pub(crate) fn complete(self, event: agent_completed) -> RunStatus {
        let end = End::from_event(
            RunStatus::Completed,
            RunStatus::Failed,
            event.result.as_ref(),
            event.error.as_deref(),
        );
        self.core.terminate(end)
    }
}

impl RunCore {
    /// Emits a lifecycle event. It cannot fail: its large fields are cut to
    /// fit the log's `max_event_size`. The caller holds a
    /// [`Pass`](crate::control::Pass) of the run's gate, or is closing it.
    #[inline]
    fn emit(&self, payload: &impl Lifecycle) {
        let mut scratch = Scratch::take();
        let limit = self.log.limits().max_event_size;
        self.append(Tail::lifecycle(
            &mut scratch,
            &self.identity,
            limit,
            payload,
        ));
    }

    /// Emits a custom event, which is not cut to fit: one that does not
    /// serialise as a JSON object, or is over the log's `max_event_size`,
    /// is refused as a whole, and nothing is emitted. Nor is anything once
    /// the run has ended.
    fn emit_custom<E: CustomEvent>(&self, event: &E) -> Result<(), Error> {
        let Some(_pass) = self.gate.enter() else {
            return Err(Error::RunEnded { event: E::NAME });
        };
        let mut scratch = Scratch::take();
        let limit = self.log.limits().max_event_size;
        let tail = Tail::custom(&mut scratch, &self.identity, limit, E::NAME, event)?;
        self.append(tail);
        Ok(())
    }

    /// Appends an event to the user's log. The `seq` it is given is the
    /// log's and the subscribers' business: nothing on the emit path reads it.
    fn append(&self, tail: Tail<'_>) {
        self.log
            .append(tail.event_type(), tail.as_bytes(), tail.unix_ms());
        crate::metrics::event_emitted(tail.event_type());
    }

    fn think(&self, event: agent_thinking) {
        let Some(_pass) = self.gate.enter() else {
            return;
        };
        self.emit(&Thinking(&event));
    }

    /// Emits `tool_executing` and opens the call; on an ended run neither
    /// happens and the call comes back already ended.
    fn execute_tool(&self, event: tool_executing) -> (ToolCallId, Arc<str>, bool) {
        let id = ToolCallId::fresh();
        let Some(_pass) = self.gate.enter() else {
            return (id, Arc::from(event.tool_name), true);
        };
        self.emit(&Executing {
            id: &id,
            event: &event,
        });
        let tool_name: Arc<str> = Arc::from(event.tool_name);
        self.open_calls().push(OpenCall {
            id: id.clone(),
            tool_name: tool_name.clone(),
            started: Instant::now(),
        });
        (id, tool_name, false)
    }

    fn open_calls(&self) -> MutexGuard<'_, Vec<OpenCall>> {
        // The list is consistent after every push and remove.
        self.open_calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Emits `tool_completed` for the open call `id`, once. Once the run
    /// has ended, the run has closed the call itself.
    fn close_tool(&self, id: &ToolCallId, end: End<'_, ToolStatus>) {
        let Some(_pass) = self.gate.enter() else {
            return;
        };
        let call = {
            let mut open = self.open_calls();
            match open.iter().position(|c| &c.id == id) {
                Some(i) => open.swap_remove(i),
                None => return,
            }
        };
        self.emit_tool_completed(&call, end);
    }

    fn emit_tool_completed(&self, call: &OpenCall, end: End<'_, ToolStatus>) {
        crate::metrics::tool_call_ended(&self.agent_name, end.status);
        self.emit(&ToolCompleted {
            id: &call.id,
            tool_name: &call.tool_name,
            outcome: end.after(call.started),
        });
    }

    /// Ends the run once, whoever calls: closes the gate (waiting for the
    /// emits under way), closes the open tool calls as `cancelled`, and
    /// sends `agent_completed`. Returns the status the run ended with,
    /// which is the first caller's.
    fn terminate(&self, end: End<'_, RunStatus>) -> RunStatus {
        if !self.gate.close() {
            // Ended by another thread: its status, once its events are sent.
            while self.status.load(Ordering::Acquire) == 0 {
                std::thread::yield_now();
            }
            return self.status();
        }
        let leaked = std::mem::take(&mut *self.open_calls());
        for call in &leaked {
            self.emit_tool_completed(
                call,
                End::without_result(
                    ToolStatus::Cancelled,
                    "the run ended while the tool call was open",
                ),
            );
        }
        let outcome = end.after(self.started);
        let elapsed = outcome.elapsed;
        self.emit(&AgentCompleted(outcome));
        self.log.run_ended(&self.id);
        crate::metrics::run_ended(&self.agent_name, end.status, elapsed);
        self.status
            .store(status_code(end.status), Ordering::Release);
        // Whoever waits for the run to be cancelled or to end.
        self.cancel.wake();
        end.status
    }

    /// Cancels the run: it ends at once with status `cancelled` and an
    /// error saying why. False if it had ended already.
    pub(crate) fn cancel(&self, why: Cancel) -> bool {
        if self.gate.is_closed() {
            return false;
        }
        self.cancel.set(why);
        let reason = match why {
            Cancel::Client => "client",
            Cancel::Budget(_) => "budget",
        };
        crate::metrics::run_cancelled(&self.agent_name, reason);
        let message = why.message();
        tracing::info!(parent: &self.span, reason = %message, "run cancelled");
        self.terminate(End::without_result(RunStatus::Cancelled, &message));
        true
    }

    /// Whether the run was cancelled and has sent its terminal events.
    fn cancelled_and_ended(&self) -> bool {
        self.cancel.get().is_some() && self.status.load(Ordering::Acquire) != 0
    }

    /// The status the run ended with (`failed` while it has not).
    pub(crate) fn status(&self) -> RunStatus {
        match self.status.load(Ordering::Acquire) {
            1 => RunStatus::Completed,
            3 => RunStatus::Cancelled,
            _ => RunStatus::Failed,
        }
    }
}

fn status_code(status: RunStatus) -> u8 {
    match status {
        RunStatus::Completed => 1,
        RunStatus::Failed => 2,
        RunStatus::Cancelled => 3,
    }
}

/// How a run or a tool call ends, before its elapsed time is known.
#[derive(Clone, Copy)]
struct End<'a, S> {
    status: S,
    result: Option<&'a serde_json::Value>,
    error: Option<&'a str>,
}

impl<'a, S: Copy> End<'a, S> {
    /// The end a closing event asks for: `error` wins over `result`.
    fn from_event(
        ok: S,
        failed: S,
        result: Option<&'a serde_json::Value>,
        error: Option<&'a str>,
    ) -> Self {
        End {
            status: if error.is_some() { failed } else { ok },
            result,
            error,
        }
    }

    /// An end without a result: a drop, a panic, a cancellation.
    fn without_result(status: S, error: &'a str) -> Self {
        End {
            status,
            result: None,
            error: Some(error),
        }
    }

    fn after(self, started: Instant) -> Outcome<'a, S> {
        Outcome {
            status: self.status,
            result: self.result,
            error: self.error,
            elapsed: started.elapsed(),
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.core.gate.is_closed() {
            return;
        }
        let (status, error) = if std::thread::panicking() {
            (RunStatus::Failed, "the agent panicked")
        } else if self.cancel_on_drop {
            (RunStatus::Cancelled, "the run was cancelled")
        } else {
            (RunStatus::Failed, "the run ended without agent_completed")
        };
        self.core.terminate(End::without_result(status, error));
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("id", self.id())
            .field("user", self.user_id())
            .field("thread", self.thread_id())
            .field("agent_name", &self.agent_name())
            .finish()
    }
}

/// An open tool call, returned by `emit!(run, tool_executing { .. })` and
/// closed by `emit!(call, tool_completed { .. })`.
///
/// It borrows its run, so the run cannot complete while the call is open;
/// several calls may be open at once. Dropped without `tool_completed`, it
/// emits `tool_completed` with status `cancelled` itself.
///
/// ```
/// use agentwire::prelude::*;
/// use serde_json::json;
///
/// # fn demo(run: &Run) {
/// let a = emit!(run, tool_executing { tool_name: "search", parameters: json!({"q": "h100"}) });
/// let b = emit!(run, tool_executing { tool_name: "prices" });
/// emit!(b, tool_completed { error: "upstream timed out" });
/// emit!(a, tool_completed { result: json!({"hits": 3}) });
/// # }
/// ```
#[must_use = "a tool call is closed by `emit!(call, tool_completed { .. })`; dropped, it reports `cancelled`"]
pub struct ToolCall<'run> {
    run: &'run Run,
    id: ToolCallId,
    tool_name: Arc<str>,
    ended: bool,
    /// `agentwire.tool_call`, a child of the run's span: open from
    /// `tool_executing` to `tool_completed`.
    _span: tracing::Span,
}

impl ToolCall<'_> {
    /// This call's id, as in `tool_call_id`.
    pub fn id(&self) -> &ToolCallId {
        &self.id
    }

    /// The tool's name.
    pub fn tool_name(&self) -> &str {
        &self.tool_name
    }

    /// The run this call belongs to.
    pub fn run(&self) -> &Run {
        self.run
    }

    /// Ends the call; `error` wins over `result` for the status.
    pub(crate) fn complete(mut self, event: tool_completed) -> ToolStatus {
        let end = End::from_event(
            ToolStatus::Success,
            ToolStatus::Error,
            event.result.as_ref(),
            event.error.as_deref(),
        );
        self.finish(end);
        end.status
    }

    fn finish(&mut self, end: End<'_, ToolStatus>) {
        if !std::mem::replace(&mut self.ended, true) {
            self.run.core.close_tool(&self.id, end);
        }
    }
}

impl Drop for ToolCall<'_> {
    fn drop(&mut self) {
        if !self.ended {
            let error = if std::thread::panicking() {
                "the agent panicked during the tool call"
            } else {
                "the tool call ended without tool_completed"
            };
            self.finish(End::without_result(ToolStatus::Cancelled, error));
        }
    }
}

impl fmt::Debug for ToolCall<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolCall")
            .field("id", &self.id)
            .field("tool_name", &self.tool_name)
            .field("run", self.run.id())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{LogLimits, QueueLimit};
    use crate::wire::MAX_AGENT_NAME;
    use serde_json::{json, Value};

    const LIMIT: usize = crate::hub::MIN_EVENT_SIZE;

    /// A bridge to a log of its own, with the longest ids there are (every
    /// byte escaped), so the fixed part of each envelope is at its largest.
    fn bridge(limit: usize) -> AgentBridge {
        let longest = "\"".repeat(crate::MAX_ID_LEN);
        let log = UserLog::new(
            UserId::new(&longest).unwrap(),
            LogLimits {
                replay_events: 1 << 16,
                replay_bytes: usize::MAX,
                max_event_size: limit,
                run_budget: None,
            },
        );
        AgentBridge {
            log: Arc::new(log),
            thread: ThreadId::new(&longest).unwrap(),
        }
    }

    /// Every event emitted so far, each checked to be valid JSON of at
    /// most `limit` bytes.
    fn events(bridge: &AgentBridge, limit: usize) -> Vec<Value> {
        let queue = QueueLimit {
            events: 1,
            bytes: usize::MAX,
        };
        let since = crate::log::Resume {
            since: 0,
            epoch: None,
        };
        let attached = bridge.log.attach(Some(since), queue);
        assert!(attached.recovery.is_some_and(|r| r.recovered));
        attached
            .replay
            .iter()
            .map(|frame| {
                let text = frame.text.as_str();
                assert!(text.len() <= limit, "{} bytes: {text}", text.len());
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
            })
            .collect()
    }

    /// `cut` is `whole` cut short: a prefix of it followed by `…`.
    fn assert_cut(cut: &Value, whole: &str) {
        let cut = cut.as_str().unwrap();
        let kept = cut.strip_suffix('…').unwrap_or_else(|| panic!("{cut:?}"));
        assert!(whole.starts_with(kept) && kept.len() < whole.len());
    }

    fn placeholder(value: &Value) -> Value {
        json!({"truncated": true, "bytes": serde_json::to_vec(value).unwrap().len()})
    }

    /// Huge inputs: the five events still fit the smallest limit.
    #[test]
    fn lifecycle_events_are_cut_to_fit() {
        let agent_name = "\u{1}é".repeat(40_000);
        let message = "✓".repeat(3_000_000);
        let reasoning = "think🚀\n".repeat(1_000_000);
        let tool_name = "t\"".repeat(50_000);
        let result = json!({ "rows": vec!["row"; 1_000_000] });
        let text_result = json!("r".repeat(5_000_000));
        let error = "e".repeat(10_000_000);

        let bridge = bridge(LIMIT);
        let run = Run::start(
            &bridge,
            agent_started {
                agent_name: agent_name.clone(),
                message: Some(message.clone()),
            },
        );
        run.think(agent_thinking {
            reasoning: reasoning.clone(),
            step_number: Some(u32::MAX),
            progress_percentage: Some(f64::MIN_POSITIVE),
        });
        let call = run.execute_tool(tool_executing {
            tool_name: tool_name.clone(),
            parameters: Some(result.clone()),
        });
        call.complete(tool_completed {
            result: Some(result.clone()),
            error: Some(error.clone()),
        });
        let call = run.execute_tool(tool_executing {
            tool_name: tool_name.clone(),
            parameters: Some(text_result.clone()),
        });
        call.complete(tool_completed {
            result: Some(text_result.clone()),
            error: None,
        });
        let leaked = run.execute_tool(tool_executing {
            tool_name: tool_name.clone(),
            parameters: None,
        });
        std::mem::forget(leaked);
        run.complete(agent_completed {
            result: Some(result.clone()),
            error: Some(error.clone()),
        });

        let events = events(&bridge, LIMIT);
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "agent_started",
                "agent_thinking",
                "tool_executing",
                "tool_completed",
                "tool_executing",
                "tool_completed",
                "tool_executing",
                "tool_completed",
                "agent_completed",
            ]
        );
        for event in &events {
            assert_eq!(event["payload"]["truncated"], true, "{event}");
            let name = event["agent_name"].as_str().unwrap();
            assert!(name.len() <= MAX_AGENT_NAME);
            assert_cut(&event["agent_name"], &agent_name);
        }
        let payloads: Vec<&Value> = events.iter().map(|e| &e["payload"]).collect();
        assert_cut(&payloads[0]["message"], &message);
        assert_cut(&payloads[1]["reasoning"], &reasoning);
        assert_eq!(payloads[1]["step_number"], u32::MAX);
        assert_eq!(payloads[1]["progress_percentage"], f64::MIN_POSITIVE);
        assert_cut(&payloads[2]["tool_name"], &tool_name);
        assert_eq!(payloads[2]["parameters"], placeholder(&result));
        assert_cut(&payloads[3]["tool_name"], &tool_name);
        assert_eq!(payloads[3]["status"], "error");
        assert_eq!(payloads[3]["result"], placeholder(&result));
        assert_cut(&payloads[3]["error"], &error);
        assert_cut(&payloads[4]["parameters"], text_result.as_str().unwrap());
        assert_cut(&payloads[5]["result"], text_result.as_str().unwrap());
        assert_eq!(payloads[6]["parameters"], json!({}));
        assert_eq!(payloads[7]["status"], "cancelled");
        assert_eq!(
            payloads[7]["error"],
            "the run ended while the tool call was open"
        );
        assert_eq!(payloads[8]["status"], "failed");
        assert_eq!(payloads[8]["result"], placeholder(&result));
        assert_cut(&payloads[8]["error"], &error);
        // Ids and the pairing of calls are never cut.
        assert_eq!(payloads[2]["tool_call_id"], payloads[3]["tool_call_id"]);
        for event in &events {
            assert_eq!(event["user_id"], "\"".repeat(crate::MAX_ID_LEN));
            assert_eq!(event["run_id"], events[0]["run_id"]);
        }
    }

    #[test]
    fn a_cut_event_uses_the_room_it_has() {
        let bridge = bridge(LIMIT);
        let run = Run::start(
            &bridge,
            agent_started {
                agent_name: "a".into(),
                message: None,
            },
        );
        run.think(agent_thinking {
            reasoning: "x".repeat(100_000),
            step_number: None,
            progress_percentage: None,
        });
        drop(run);
        let events = events(&bridge, LIMIT);
        let thinking = serde_json::to_vec(&events[1]).unwrap();
        // All of it but `seq`'s unused digits and a char's worth.
        assert!(thinking.len() + 19 + 3 >= LIMIT, "{}", thinking.len());
    }

    #[test]
    fn an_agent_name_is_cut_for_the_whole_run() {
        let bridge = bridge(1 << 20);
        let run = Run::start(
            &bridge,
            agent_started {
                agent_name: "n".repeat(1000),
                message: Some("hello".into()),
            },
        );
        assert_eq!(run.agent_name(), format!("{}…", "n".repeat(253)));
        run.think(agent_thinking {
            reasoning: "short".into(),
            step_number: None,
            progress_percentage: None,
        });
        drop(run);
        let events = events(&bridge, 1 << 20);
        assert_eq!(
            events[0]["payload"],
            json!({"message": "hello", "truncated": true})
        );
        assert_eq!(events[1]["payload"], json!({"reasoning": "short"}));
        for event in &events {
            assert_eq!(event["agent_name"].as_str().unwrap().len(), 256);
        }
    }

    /// A custom event for the property below.
    #[crate::agent_event(name = "blob")]
    struct blob {
        text: String,
    }

    /// Text of any size around the limits below, with multi-byte chars and
    /// chars that JSON escapes.
    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        const PIECES: &[&str] = &["ab", "é", "✓", "🚀", "\"", "\n", "\u{1}"];
        proptest::collection::vec((proptest::sample::select(PIECES), 0..1500usize), 0..4)
            .prop_map(|parts| parts.iter().map(|(piece, n)| piece.repeat(*n)).collect())
    }

    fn value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            text().prop_map(Value::String),
            proptest::collection::vec(text(), 0..3).prop_map(|v| json!({ "items": v })),
            Just(json!(null)),
        ]
    }

    /// `got` is `whole`, or (only in a truncated payload) its cut.
    fn check_text(got: &Value, whole: &str, truncated: bool) {
        if got != whole {
            assert!(truncated, "{got} cut in a payload not marked truncated");
            assert_cut(got, whole);
        }
    }

    fn check_json(got: &Value, whole: &Value, truncated: bool) {
        if got != whole {
            assert!(truncated, "{got} cut in a payload not marked truncated");
            match whole {
                Value::String(whole) => assert_cut(got, whole),
                _ => assert_eq!(*got, placeholder(whole)),
            }
        }
    }

    /// The size `event` would have had uncut, `seq` counted at 20 digits,
    /// given its payload as it would have been.
    fn whole_size(event: &Value, payload: Value) -> usize {
        let mut event = event.clone();
        event["payload"] = payload;
        let seq = event["seq"].to_string().len();
        serde_json::to_vec(&event).unwrap().len() - seq + 20
    }

    proptest::proptest! {
        /// Whatever the sizes, every envelope is valid JSON within the limit;
        /// a lifecycle event is marked `truncated` exactly when it would not
        /// have fitted, and a custom one is refused exactly then.
        #[test]
        fn every_envelope_fits_and_only_what_does_not_fit_is_cut(
            limit in proptest::prop_oneof![proptest::strategy::Just(LIMIT), LIMIT..4 * LIMIT],
            agent_name in text(),
            reasoning in text(),
            tool_name in text(),
            parameters in value(),
            result in value(),
            error in proptest::option::of(text()),
            custom in text(),
        ) {
            let bridge = bridge(limit);
            let run = Run::start(&bridge, agent_started { agent_name: agent_name.clone(), message: None });
            run.think(agent_thinking { reasoning: reasoning.clone(), step_number: None, progress_percentage: None });
            let call = run.execute_tool(tool_executing { tool_name: tool_name.clone(), parameters: Some(parameters.clone()) });
            call.complete(tool_completed { result: Some(result.clone()), error: error.clone() });
            let custom_sent = crate::emit!(run, blob { text: custom.clone() });
            run.complete(agent_completed { result: Some(result.clone()), error: error.clone() });

            let events = events(&bridge, limit);
            for (i, event) in events.iter().enumerate() {
                assert_eq!(event["seq"], i as u64 + 1);
            }
            let (lifecycle, custom_event) = match &custom_sent {
                Ok(()) => {
                    assert_eq!(events[4]["payload"]["text"], custom);
                    ([0, 1, 2, 3, 5], Some(&events[4]))
                }
                Err(Error::EventTooLarge { event: "blob", size, limit: l }) => {
                    assert!(*size > limit && *l == limit);
                    ([0, 1, 2, 3, 4], None)
                }
                Err(e) => panic!("{e}"),
            };
            if let Some(event) = custom_event {
                assert!(whole_size(event, event["payload"].clone()) <= limit);
            }
            let [started, thinking, executing, completed, finished] = lifecycle.map(|i| &events[i]);
            let name_cut = agent_name.len() > MAX_AGENT_NAME;
            let sent_name = started["agent_name"].as_str().unwrap().to_owned();
            if name_cut {
                assert_cut(&started["agent_name"], &agent_name);
            } else {
                assert_eq!(sent_name, agent_name);
            }

            let p = &started["payload"];
            assert_eq!(p.get("truncated").is_some(), name_cut);

            let p = &thinking["payload"];
            let truncated = p.get("truncated").is_some();
            check_text(&p["reasoning"], &reasoning, truncated);
            assert_eq!(truncated, whole_size(thinking, json!({"reasoning": reasoning})) > limit);

            let p = &executing["payload"];
            let truncated = p.get("truncated").is_some();
            check_text(&p["tool_name"], &tool_name, truncated);
            check_json(&p["parameters"], &parameters, truncated);
            let whole = json!({"tool_call_id": p["tool_call_id"], "tool_name": tool_name, "parameters": parameters});
            assert_eq!(truncated, whole_size(executing, whole) > limit);

            let outcome = |event: &Value, mut whole: Value| {
                let p = &event["payload"];
                let truncated = p.get("truncated").is_some();
                check_json(&p["result"], &result, truncated);
                whole["result"] = result.clone();
                whole["execution_time_ms"] = p["execution_time_ms"].clone();
                whole["status"] = p["status"].clone();
                if let Some(error) = &error {
                    check_text(&p["error"], error, truncated);
                    whole["error"] = json!(error);
                }
                assert_eq!(truncated, whole_size(event, whole) > limit);
            };
            let p = &completed["payload"];
            check_text(&p["tool_name"], &tool_name, p.get("truncated").is_some());
            outcome(completed, json!({"tool_call_id": p["tool_call_id"], "tool_name": tool_name}));
            outcome(finished, json!({}));
        }
    }
}
