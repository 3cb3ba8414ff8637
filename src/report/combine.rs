//! Items from many threads applied to one state without a thread of its own.
//!
//! The workers of a scan each finish files, and a report takes them one at
//! a time. A report thread fed by a channel costs a wake-up per file and a
//! core's share for the hand-over; here the worker that finds the report
//! free applies what is queued itself, in queue order, while the others go
//! on scanning (the shape of ripgrep's workers, which print their own
//! results under the output's lock). A worker waits for another only when
//! more than the limit is queued: a slow output then slows the scan
//! instead of filling memory.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering, fence};
use std::sync::{Mutex, PoisonError, TryLockError};

/// A state that items pushed from any thread are applied to, one at a time
/// and in the order they were pushed.
pub struct Combiner<T, S> {
    queue: Mutex<VecDeque<T>>,
    /// Items pushed and not yet taken from the queue (counted before they
    /// are queued, so never less than the queue holds).
    queued: AtomicUsize,
    state: Mutex<S>,
    limit: usize,
}

impl<T, S> Combiner<T, S> {
    /// A combiner around `state` that makes a thread wait once more than
    /// `limit` items are queued.
    pub fn new(state: S, limit: usize) -> Self {
        Combiner {
            queue: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            state: Mutex::new(state),
            limit: limit.max(1),
        }
    }

    /// Queues `item`, and applies the queue to the state with `apply` if no
    /// other thread is doing so. Every item pushed before a call returns has
    /// been applied or will be by a thread still inside `push`.
    pub fn push(&self, item: T, mut apply: impl FnMut(&mut S, T)) {
        self.queued.fetch_add(1, Ordering::SeqCst);
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(item);
        // Pairs with the fence after a drain: either that thread sees this
        // item counted, or this one sees the state free.
        fence(Ordering::SeqCst);
        loop {
            let mut state = if self.queued.load(Ordering::SeqCst) > self.limit {
                self.state.lock().unwrap_or_else(PoisonError::into_inner)
            } else {
                match self.state.try_lock() {
                    Ok(state) => state,
                    Err(TryLockError::Poisoned(p)) => p.into_inner(),
                    // The thread that holds it applies this item too.
                    Err(TryLockError::WouldBlock) => return,
                }
            };
            loop {
                let batch =
                    std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
                if batch.is_empty() {
                    break;
                }
                self.queued.fetch_sub(batch.len(), Ordering::SeqCst);
                for item in batch {
                    apply(&mut state, item);
                }
            }
            drop(state);
            fence(Ordering::SeqCst);
            if self.queued.load(Ordering::SeqCst) == 0 {
                return;
            }
            // Pushed while this thread held the state (or counted and not
            // queued yet): try again, unless another thread holds it now.
            std::thread::yield_now();
        }
    }

    /// The state, once no thread pushes any more; every item pushed has been
    /// applied.
    pub fn into_inner(self) -> S {
        debug_assert_eq!(self.queued.load(Ordering::SeqCst), 0);
        self.state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[test]
    fn every_item_is_applied_once_in_the_order_of_each_thread() {
        for limit in [1, 4, 1 << 20] {
            let threads = 4;
            let per_thread = 20_000;
            let combiner = Combiner::new(Vec::<(usize, usize)>::new(), limit);
            let start = Barrier::new(threads);
            std::thread::scope(|s| {
                for t in 0..threads {
                    let (combiner, start) = (&combiner, &start);
                    s.spawn(move || {
                        start.wait();
                        for i in 0..per_thread {
                            combiner.push((t, i), |seen, item| seen.push(item));
                        }
                    });
                }
            });
            let seen = combiner.into_inner();
            assert_eq!(seen.len(), threads * per_thread, "limit {limit}");
            let mut next = vec![0; threads];
            for (t, i) in seen {
                assert_eq!(
                    i, next[t],
                    "thread {t}'s items out of order (limit {limit})"
                );
                next[t] += 1;
            }
        }
    }

    #[test]
    fn an_item_pushed_after_another_thread_returned_is_applied_after_it() {
        // What one thread pushed and saw return is in the state before what
        // another pushes next: a scan's "files before this one are done"
        // must follow those files.
        let combiner = Combiner::new(Vec::<u32>::new(), 1 << 20);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            let combiner = &combiner;
            s.spawn(move || {
                for i in 0..10_000u32 {
                    combiner.push(2 * i, |seen, item| seen.push(item));
                    tx.send(i).unwrap();
                }
            });
            s.spawn(move || {
                for i in rx {
                    combiner.push(2 * i + 1, |seen, item| seen.push(item));
                }
            });
        });
        let seen = combiner.into_inner();
        assert_eq!(seen.len(), 20_000);
        let at: std::collections::HashMap<u32, usize> =
            seen.iter().enumerate().map(|(k, &v)| (v, k)).collect();
        for i in 0..10_000u32 {
            assert!(at[&(2 * i)] < at[&(2 * i + 1)], "{i}");
        }
    }

    #[test]
    fn a_slow_state_makes_pushers_wait_beyond_the_limit() {
        // While one thread applies slowly, the others may queue no more than
        // the limit (plus the item each is pushing).
        let limit = 8;
        let combiner = Combiner::new(0usize, limit);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                let (combiner, most) = (&combiner, &most);
                s.spawn(move || {
                    for _ in 0..300 {
                        combiner.push((), |n, ()| {
                            *n += 1;
                            most.fetch_max(
                                combiner.queued.load(Ordering::SeqCst),
                                Ordering::SeqCst,
                            );
                            std::thread::sleep(std::time::Duration::from_micros(50));
                        });
                    }
                });
            }
        });
        assert_eq!(combiner.into_inner(), 900);
        let most = most.load(Ordering::SeqCst);
        assert!(most <= limit + 3, "{most} queued with a limit of {limit}");
    }
}
