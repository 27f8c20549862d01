use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Poll, Waker};

use tokio::sync::{watch, Notify};

/// Counts running tasks so shutdown can wait for them.
#[derive(Default)]
pub(crate) struct TaskGroup {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    active: AtomicUsize,
    idle: Notify,
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
