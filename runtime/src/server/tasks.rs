use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

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
pub(crate) async fn stopped(signal: &mut tokio::sync::watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = signal.wait_for(|stop| *stop).await.map(|_| ());
}
