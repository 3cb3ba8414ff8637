//! Buffers a worker empties and fills again. A dense scan fills hundreds
//! of thousands of parts (findings, judged findings, rendered bytes);
//! allocated afresh, each part's buffer is memory the allocator takes, and
//! the kernel faults in, again. Each worker keeps a few it emptied for its
//! next parts, in a `thread_local!` per kind of buffer.

use std::cell::RefCell;

/// The most buffers of one kind a thread keeps.
const KEEP: usize = 4;

/// A thread's emptied buffers of `T`: at most [`KEEP`], none with room for
/// more than `largest` elements (a buffer a large file grew is let go).
pub(crate) struct Spares<T> {
    kept: RefCell<Vec<Vec<T>>>,
    largest: usize,
}

impl<T> Spares<T> {
    /// No buffer yet; none kept with room for more than `largest`.
    pub(crate) const fn new(largest: usize) -> Self {
        Spares {
            kept: RefCell::new(Vec::new()),
            largest,
        }
    }

    /// An empty buffer with room for `n`, one kept before if there is one.
    /// None for nothing: a spare would only travel with an empty item.
    pub(crate) fn take(&self, n: usize) -> Vec<T> {
        if n == 0 {
            return Vec::new();
        }
        let mut v = self.kept.borrow_mut().pop().unwrap_or_default();
        v.reserve(n);
        v
    }

    /// Keeps `v`, emptied, for a later [`Spares::take`] on this thread.
    pub(crate) fn keep(&self, mut v: Vec<T>) {
        v.clear();
        let mut kept = self.kept.borrow_mut();
        if v.capacity() > 0 && v.capacity() <= self.largest && kept.len() < KEEP {
            kept.push(v);
        }
    }
}
