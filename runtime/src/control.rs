//! Control over runs: cancellation (by a client's `cancel_run`, or a time
//! budget running out), the gate that keeps any event from following
//! `agent_completed` when a run is ended from outside its owner, and the
//! registry of each user's live runs.
//!
//! Nothing here is touched per event but the gate: two uncontended atomic
//! operations on the run's own state, no lock and no allocation.

use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use crate::run::RunCore;
use crate::RunId;

/// Why a run was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cancel {
    /// A client of the run's user sent `cancel_run`.
    Client,
    /// The run's time budget ran out.
    Budget(Duration),
}

impl Cancel {
    /// The run's `error` in its `agent_completed`.
    pub(crate) fn message(self) -> String {
        match self {
            Cancel::Client => "the run was cancelled by the user".to_owned(),
            Cancel::Budget(budget) => {
                format!("the run ran out of its time budget ({budget:?})")
            }
        }
    }
}

/// The high bit of [`Gate`]'s state: the run is closed.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// Lets emits through until the run is closed, and lets the closer wait for
/// the emits already under way, so that the run's terminal events are the
/// last it ever writes, whichever thread ends it.
#[derive(Default)]
pub(crate) struct Gate {
    /// [`CLOSED`], and the number of emits under way.
    state: AtomicUsize,
}

/// An emit under way; the closer waits for it.
pub(crate) struct Pass<'a>(&'a Gate);

impl Gate {
    /// A pass for one emit, or `None` once the run is closed.
    #[inline]
    pub(crate) fn enter(&self) -> Option<Pass<'_>> {
        let before = self.state.fetch_add(1, Ordering::Acquire);
        if before & CLOSED != 0 {
            self.state.fetch_sub(1, Ordering::Release);
            return None;
        }
        Some(Pass(self))
    }

    /// Closes the gate and waits for the emits under way; false if it was
    /// closed already. Emits are short and never wait on anything, so the
    /// wait is a few microseconds at most.
    pub(crate) fn close(&self) -> bool {
        let before = self.state.fetch_or(CLOSED, Ordering::AcqRel);
        if before & CLOSED != 0 {
            return false;
        }
        while self.state.load(Ordering::Acquire) & !CLOSED != 0 {
            std::thread::yield_now();
        }
        true
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }
}

impl Drop for Pass<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.state.fetch_sub(1, Ordering::Release);
    }
}

/// A run's cancellation: set once, seen by `run.cancelled()`.
#[derive(Default)]
pub(crate) struct Cancellation {
    /// 0: not cancelled; 1: by a client; 2: by the budget.
    reason: AtomicU8,
    /// The budget that ran out, in nanoseconds, when `reason` is 2.
    budget: AtomicU64,
    changed: Notify,
}

impl Cancellation {
    /// Records `why`; false if the run was cancelled already.
    pub(crate) fn set(&self, why: Cancel) -> bool {
        let code = match why {
            Cancel::Client => 1,
            Cancel::Budget(budget) => {
                let nanos = u64::try_from(budget.as_nanos()).unwrap_or(u64::MAX);
                self.budget.store(nanos, Ordering::Release);
                2
            }
        };
        let first = self
            .reason
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        self.changed.notify_waiters();
        first
    }

    /// Wakes whoever waits for a cancellation, e.g. when the run ended.
    pub(crate) fn wake(&self) {
        self.changed.notify_waiters();
    }

    pub(crate) fn get(&self) -> Option<Cancel> {
        match self.reason.load(Ordering::Acquire) {
            0 => None,
            1 => Some(Cancel::Client),
            _ => Some(Cancel::Budget(Duration::from_nanos(
                self.budget.load(Ordering::Acquire),
            ))),
        }
    }

    /// Resolves once `done` holds, checked whenever the cancellation changes.
    pub(crate) async fn wait(&self, done: impl Fn() -> bool) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if done() {
                return;
            }
            changed.await;
        }
    }
}

/// One user's live runs, for `cancel_run`, and the count of the runs the
/// user's clients started, for the per-user cap. Locked when a run starts
/// or ends and on `cancel_run`, never per event.
#[derive(Default)]
pub(crate) struct UserRuns {
    live: Mutex<Vec<(RunId, Weak<RunCore>)>>,
    client_runs: AtomicUsize,
}

impl UserRuns {
    pub(crate) fn register(&self, id: &RunId, run: Weak<RunCore>) {
        self.lock().push((id.clone(), run));
    }

    pub(crate) fn unregister(&self, id: &RunId) {
        let mut live = self.lock();
        if let Some(i) = live.iter().position(|(r, _)| r == id) {
            live.swap_remove(i);
        }
    }

    /// The live run `id` of this user, if there is one.
    pub(crate) fn find(&self, id: &str) -> Option<std::sync::Arc<RunCore>> {
        let live = self.lock();
        live.iter()
            .find(|(r, _)| r.as_str() == id)
            .and_then(|(_, run)| run.upgrade())
    }

    /// A slot for one more client-started run, if fewer than `cap` run.
    pub(crate) fn reserve(self: &std::sync::Arc<Self>, cap: usize) -> Option<RunSlot> {
        self.client_runs
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < cap).then_some(n + 1)
            })
            .ok()
            .map(|_| RunSlot(self.clone()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(RunId, Weak<RunCore>)>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A client-started run's place under the per-user cap, freed on drop.
pub(crate) struct RunSlot(std::sync::Arc<UserRuns>);

impl Drop for RunSlot {
    fn drop(&mut self) {
        self.0.client_runs.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_closed_gate_lets_nothing_through_and_closes_once() {
        let gate = Gate::default();
        let pass = gate.enter().unwrap();
        drop(pass);
        assert!(gate.close());
        assert!(gate.enter().is_none());
        assert!(!gate.close());
        assert!(gate.is_closed());
    }

    #[test]
    fn close_waits_for_the_emit_under_way() {
        let gate = Arc::new(Gate::default());
        let pass = gate.enter().unwrap();
        let closer = std::thread::spawn({
            let gate = gate.clone();
            move || gate.close()
        });
        std::thread::sleep(Duration::from_millis(20));
        assert!(!closer.is_finished());
        drop(pass);
        assert!(closer.join().unwrap());
    }

    #[test]
    fn the_cap_counts_reserved_slots() {
        let runs = Arc::new(UserRuns::default());
        let a = runs.reserve(2).unwrap();
        let _b = runs.reserve(2).unwrap();
        assert!(runs.reserve(2).is_none());
        drop(a);
        assert!(runs.reserve(2).is_some());
    }

    #[test]
    fn the_first_cancellation_wins() {
        let c = Cancellation::default();
        assert_eq!(c.get(), None);
        assert!(c.set(Cancel::Budget(Duration::from_secs(3))));
        assert!(!c.set(Cancel::Client));
        assert_eq!(c.get(), Some(Cancel::Budget(Duration::from_secs(3))));
        assert_eq!(
            Cancel::Budget(Duration::from_millis(1500)).message(),
            "the run ran out of its time budget (1.5s)"
        );
    }
}
