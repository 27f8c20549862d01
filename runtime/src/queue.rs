//! A subscriber's queue: the frames the log has fanned out to one
//! subscriber and it has not taken yet, bounded in events and in bytes.
//!
//! A mutex over a `VecDeque` and the receiver's waker. Unlike a channel
//! that allocates its blocks up front, an empty queue holds no buffer: an
//! idle connection pays for the shared header only, and the buffer grows
//! with the first events.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::log::{Frame, QueueLimit};

struct State {
    frames: VecDeque<Frame>,
    /// The sum of the lengths of the frames in `frames`.
    bytes: usize,
    /// The receiver waiting for a frame.
    waker: Option<Waker>,
    /// The sender is gone: no frame will come after those in `frames`.
    closed: bool,
    /// The receiver is gone.
    dropped: bool,
    /// The queue went over a bound and the sender gave up on it.
    overflowed: bool,
    /// The stream the queue followed was lost: the sender gave up on it
    /// after what it holds.
    reset: bool,
}

struct Shared {
    state: Mutex<State>,
    limit: QueueLimit,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why [`Sender::push`] did not queue a frame; the sender is then done
/// with the queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The frame would take the queue over a bound: it is marked
    /// overflowed, and its receiver sees what is left, then the end.
    Overflow,
    /// The receiver is gone.
    Closed,
}

/// The log's end. Dropping it ends the queue once it is drained.
pub(crate) struct Sender(Arc<Shared>);

/// The subscriber's end.
pub(crate) struct Receiver(Arc<Shared>);

pub(crate) fn channel(limit: QueueLimit) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            frames: VecDeque::new(),
            bytes: 0,
            waker: None,
            closed: false,
            dropped: false,
            overflowed: false,
            reset: false,
        }),
        limit: QueueLimit {
            events: limit.events.max(1),
            bytes: limit.bytes,
        },
    });
    (Sender(shared.clone()), Receiver(shared))
}

impl Sender {
    /// Queues `frame`, or says why not without waiting.
    pub(crate) fn push(&self, frame: &Frame) -> Result<(), Refused> {
        let len = frame.text.len();
        let mut state = self.0.lock();
        if state.dropped {
            return Err(Refused::Closed);
        }
        if state.frames.len() >= self.0.limit.events
            || state.bytes.saturating_add(len) > self.0.limit.bytes
        {
            state.overflowed = true;
            state.closed = true;
            let waker = state.waker.take();
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
            return Err(Refused::Overflow);
        }
        state.frames.push_back(frame.clone());
        state.bytes += len;
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl Sender {
    /// Marks the queue as following a stream that was lost; the sender is
    /// dropped next, ending it after what it holds.
    pub(crate) fn reset(&self) {
        self.0.lock().reset = true;
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.closed = true;
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Receiver {
    /// Moves up to `limit` frames to the back of `buf`; `Ready(0)` once the
    /// queue is closed and empty. Registers to be woken when it returns
    /// `Pending`. When `buf` is empty and takes every waiting frame, the two
    /// swap buffers instead of moving the frames one by one.
    pub(crate) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut VecDeque<Frame>,
        limit: usize,
    ) -> Poll<usize> {
        let mut state = self.0.lock();
        if state.frames.is_empty() {
            if state.closed {
                return Poll::Ready(0);
            }
            match &mut state.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        let n = state.frames.len().min(limit);
        if buf.is_empty() && n == state.frames.len() {
            std::mem::swap(&mut state.frames, buf);
            state.bytes = 0;
        } else {
            let mut bytes = 0;
            buf.extend(state.frames.drain(..n).inspect(|f| bytes += f.text.len()));
            state.bytes -= bytes;
        }
        Poll::Ready(n)
    }

    /// The next frame; `Ready(None)` once the queue is closed and empty.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        let mut state = self.0.lock();
        match state.frames.pop_front() {
            Some(frame) => {
                state.bytes -= frame.text.len();
                Poll::Ready(Some(frame))
            }
            None if state.closed => Poll::Ready(None),
            None => {
                match &mut state.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// A frame if one is waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Frame> {
        let mut state = self.0.lock();
        let frame = state.frames.pop_front()?;
        state.bytes -= frame.text.len();
        Some(frame)
    }

    /// Whether the sender gave up on this queue for going over a bound.
    pub(crate) fn overflowed(&self) -> bool {
        self.0.lock().overflowed
    }

    /// Whether the sender gave up on this queue because its stream was lost.
    pub(crate) fn reset(&self) -> bool {
        self.0.lock().reset
    }

    /// Frames waiting.
    pub(crate) fn len(&self) -> usize {
        self.0.lock().frames.len()
    }

    /// Bytes of the frames waiting.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.0.lock().bytes
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.dropped = true;
        // Frees the frames now rather than when the log next emits.
        let frames = std::mem::take(&mut state.frames);
        state.bytes = 0;
        drop(state);
        drop(frames);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    fn frame(seq: u64, text: &str) -> Frame {
        Frame {
            seq,
            text: text.to_owned().into(),
        }
    }

    async fn recv_all(rx: &mut Receiver) -> Vec<u64> {
        let mut buf = VecDeque::new();
        poll_fn(|cx| rx.poll_recv_many(cx, &mut buf, 64)).await;
        buf.iter().map(|f| f.seq).collect()
    }

    #[tokio::test]
    async fn bounds_in_events_and_bytes() {
        let (tx, mut rx) = channel(QueueLimit {
            events: 2,
            bytes: 100,
        });
        assert_eq!(tx.push(&frame(1, "a")), Ok(()));
        assert_eq!(tx.push(&frame(2, "b")), Ok(()));
        assert_eq!(tx.push(&frame(3, "c")), Err(Refused::Overflow));
        assert!(rx.overflowed());
        assert_eq!(recv_all(&mut rx).await, [1, 2]);
        assert_eq!(recv_all(&mut rx).await, Vec::<u64>::new());

        let (tx, mut rx) = channel(QueueLimit {
            events: 10,
            bytes: 3,
        });
        assert_eq!(tx.push(&frame(1, "ab")), Ok(()));
        assert_eq!(rx.bytes(), 2);
        assert_eq!(tx.push(&frame(2, "cd")), Err(Refused::Overflow));
        assert_eq!(rx.try_recv().map(|f| f.seq), Some(1));
        assert_eq!(rx.bytes(), 0);
    }

    #[tokio::test]
    async fn frames_taken_whole_or_in_part_come_in_order_and_free_their_bytes() {
        let (tx, mut rx) = channel(QueueLimit {
            events: 10,
            bytes: 6,
        });
        let seqs = |buf: &VecDeque<Frame>| buf.iter().map(|f| f.seq).collect::<Vec<_>>();
        for (seq, text) in [(1, "a"), (2, "bb"), (3, "ccc")] {
            tx.push(&frame(seq, text)).unwrap();
        }
        // Part of what waits, into an empty batch.
        let mut buf = VecDeque::new();
        assert_eq!(poll_fn(|cx| rx.poll_recv_many(cx, &mut buf, 2)).await, 2);
        assert_eq!((seqs(&buf), rx.bytes(), rx.len()), (vec![1, 2], 3, 1));
        // The rest, behind what the batch still holds.
        assert_eq!(poll_fn(|cx| rx.poll_recv_many(cx, &mut buf, 64)).await, 1);
        assert_eq!((seqs(&buf), rx.bytes()), (vec![1, 2, 3], 0));
        // Everything that waits, into an empty batch.
        buf.clear();
        for (seq, text) in [(4, "dd"), (5, "eeee")] {
            tx.push(&frame(seq, text)).unwrap();
        }
        assert_eq!(poll_fn(|cx| rx.poll_recv_many(cx, &mut buf, 64)).await, 2);
        assert_eq!((seqs(&buf), rx.bytes(), rx.len()), (vec![4, 5], 0, 0));
        // The queue counts from zero again: the byte bound is whole.
        tx.push(&frame(6, "ffffff")).unwrap();
        assert_eq!(tx.push(&frame(7, "g")), Err(Refused::Overflow));
        buf.clear();
        assert_eq!(recv_all(&mut rx).await, [6]);
    }

    #[tokio::test]
    async fn wakes_the_receiver_and_ends_when_the_sender_goes() {
        let (tx, mut rx) = channel(QueueLimit {
            events: 8,
            bytes: 1 << 20,
        });
        let waiter = tokio::spawn(async move {
            let first = recv_all(&mut rx).await;
            let rest = recv_all(&mut rx).await;
            (first, rest, rx.overflowed())
        });
        tokio::task::yield_now().await;
        tx.push(&frame(1, "x")).unwrap();
        tokio::task::yield_now().await;
        drop(tx);
        let (first, rest, overflowed) = waiter.await.unwrap();
        assert_eq!(first, [1]);
        assert!(rest.is_empty());
        assert!(!overflowed);
    }

    #[test]
    fn a_dropped_receiver_refuses_frames() {
        let (tx, rx) = channel(QueueLimit {
            events: 8,
            bytes: 1 << 20,
        });
        drop(rx);
        assert_eq!(tx.push(&frame(1, "x")), Err(Refused::Closed));
    }
}
