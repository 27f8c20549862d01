use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Poll, Waker};

use tokio::sync::{watch, Notify};

/// Tasks of one kind (runs, or connections): counted so shutdown can wait
/// for them, and told together when to stop.
#[derive(Default)]
pub(crate) struct TaskGroup {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    active: AtomicUsize,
    /// Set before `stop` moves: read where a new task would be refused,
    /// without taking the signal's lock.
    stopping: AtomicBool,
    idle: Notify,
    stop: watch::Sender<bool>,
}

/// Held by a task for as long as it runs.
pub(crate) struct TaskGuard(Arc<Inner>);

impl TaskGroup {
    pub(crate) fn enter(&self) -> TaskGuard {
        self.inner.active.fetch_add(1, Ordering::AcqRel);
        TaskGuard(self.inner.clone())
    }

    pub(crate) fn active(&self) -> usize {
        self.inner.active.load(Ordering::Acquire)
    }

    pub(crate) async fn wait_idle(&self) {
        loop {
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.active() == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Tells every task of the group, running or to come, to stop.
    pub(crate) fn stop(&self) {
        self.inner.stopping.store(true, Ordering::Release);
        self.inner.stop.send_replace(true);
    }

    /// Whether the group was told to stop: new tasks are refused.
    pub(crate) fn is_stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::Acquire)
    }

    /// The group's stop signal, for a task that waits on it at each of its
    /// wakes (through [`stopped`]).
    pub(crate) fn stop_signal(&self) -> watch::Receiver<bool> {
        self.inner.stop.subscribe()
    }
}

impl TaskGuard {
    /// Resolves once the group is told to stop. The signal is joined when
    /// this is first polled: a task that ends in its first poll, with this
    /// polled after it, never touches it.
    pub(crate) async fn stopped(&self) {
        let mut signal = self.0.stop.subscribe();
        stopped(&mut signal).await;
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Resolves once `signal` is set (or its sender is gone).
///
/// Cheap to poll at every wake of a long-lived task: waiting on a `watch`
/// means joining a wait list every waiter shares, behind a lock, which
/// tokio does again at each poll. It is joined once here, and looked at
/// again only when the signal has moved (an atomic load) or the task's
/// waker is another one.
pub(crate) async fn stopped(signal: &mut watch::Receiver<bool>) {
    let moved = signal.clone();
    // An error means the sender is gone, which also means stop.
    let wait = signal.wait_for(|stop| *stop);
    tokio::pin!(wait);
    let mut joined: Option<Waker> = None;
    poll_fn(|cx| {
        let rejoin = !joined.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
        if rejoin || moved.has_changed().unwrap_or(true) {
            if wait.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
            if rejoin {
                joined = Some(cx.waker().clone());
            }
        }
        Poll::Pending
    })
    .await
}
