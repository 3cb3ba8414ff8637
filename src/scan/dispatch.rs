//! The queue between the walk and the workers: files are taken in path
//! order, and once the walk has ended the scan can tell which paths are
//! done for good.
//!
//! A report that lists files in path order (`jsonl`, `csv`) used to keep
//! every file's findings aside and copy them into place after the last
//! file: a serial end that grew with the report (66 ms for 130 MB). Taken
//! in path order, files finish nearly in path order; once the listing has
//! ended, every path before the first one still queued or being read is
//! done, and a report can write those files then, during the scan.
//!
//! The walk (parallel, in no order) fills a heap keyed by the path as
//! reported; workers take the least. The heap holds at most [`MAX_QUEUED`]
//! files: past that the walk waits, as it waited on its channel before, and
//! on a tree that large files are taken in path order only among those
//! listed so far (and nothing is known done until the walk ends).

use crate::walk::WalkItem;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::sync::{Condvar, Mutex};

/// The most files listed and not yet taken.
pub const MAX_QUEUED: usize = 32_768;

/// A listed file with its key: the path as reported, then the order it
/// was listed in (a path listed twice keeps both).
struct Queued {
    key: String,
    seq: u64,
    item: WalkItem,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (&self.key, self.seq) == (&other.key, other.seq)
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.key, self.seq).cmp(&(&other.key, other.seq))
    }
}

#[derive(Default)]
struct State {
    queued: BinaryHeap<Reverse<Queued>>,
    /// What was queued when the walk ended, sorted: from then on a file is
    /// taken from the front, without sifting a heap that both workers write
    /// (its lines went back and forth between the cores at every take).
    sorted: VecDeque<Queued>,
    listed: u64,
    /// The walk has ended: every file is queued, taken or done.
    walked: bool,
    /// The workers stopped taking files.
    closed: bool,
    /// Paths being read, with how many times each.
    reading: BTreeMap<String, usize>,
    /// What [`Dispatch::done`] last gave.
    done_before: Option<String>,
    /// Workers waiting for a file, and listers waiting for room: a wake-up
    /// is a system call, made only for a thread that waits.
    waiting_for_more: usize,
    waiting_for_room: usize,
}

/// Files listed and not yet done; see the module's documentation.
#[derive(Default)]
pub struct Dispatch {
    state: Mutex<State>,
    /// A file was queued, or the walk ended, or the queue closed.
    more: Condvar,
    /// A file was taken, or the queue closed.
    room: Condvar,
}

/// A file taken from the queue: give it back to [`Dispatch::done`].
pub struct Taken {
    pub key: String,
    pub item: WalkItem,
}

impl Dispatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A worker that panicked while holding the lock left the state
        // whole (every change is one statement), so it is used as is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a listed file under `key`, waiting while the queue is full.
    /// False once the queue is closed (stop listing).
    pub fn push(&self, key: String, item: WalkItem) -> bool {
        let mut s = self.lock();
        while s.queued.len() >= MAX_QUEUED && !s.closed {
            s.waiting_for_room += 1;
            s = self.room.wait(s).unwrap_or_else(|e| e.into_inner());
            s.waiting_for_room -= 1;
        }
        if s.closed {
            return false;
        }
        let seq = s.listed;
        s.listed += 1;
        s.queued.push(Reverse(Queued { key, seq, item }));
        let wake = s.waiting_for_more > 0;
        drop(s);
        if wake {
            self.more.notify_one();
        }
        true
    }

    /// How many files are queued (listed and not taken).
    pub fn queued(&self) -> usize {
        let s = self.lock();
        s.queued.len() + s.sorted.len()
    }

    /// The walk has ended: what is queued is sorted, once per scan, so that
    /// files are taken from its front from now on.
    pub fn walked(&self) {
        let mut s = self.lock();
        s.walked = true;
        let mut rest: Vec<Queued> = std::mem::take(&mut s.queued)
            .into_vec()
            .into_iter()
            .map(|Reverse(q)| q)
            .collect();
        rest.sort_unstable();
        s.sorted.extend(rest);
        drop(s);
        self.more.notify_all();
    }

    /// No more files are taken: workers stop, the walk stops listing.
    pub fn close(&self) {
        self.lock().closed = true;
        self.more.notify_all();
        self.room.notify_all();
    }

    /// The least file queued, waiting for one; `None` once the walk has
    /// ended and every file was taken, or the queue is closed.
    pub fn take(&self) -> Option<Taken> {
        let mut s = self.lock();
        loop {
            if s.closed {
                return None;
            }
            if let Some(q) = s
                .sorted
                .pop_front()
                .or_else(|| s.queued.pop().map(|Reverse(q)| q))
            {
                *s.reading.entry(q.key.clone()).or_default() += 1;
                let wake = s.waiting_for_room > 0;
                drop(s);
                if wake {
                    self.room.notify_one();
                }
                return Some(Taken {
                    key: q.key,
                    item: q.item,
                });
            }
            if s.walked {
                return None;
            }
            s.waiting_for_more += 1;
            s = self.more.wait(s).unwrap_or_else(|e| e.into_inner());
            s.waiting_for_more -= 1;
        }
    }

    /// A file taken is done (all its events given). Returns the path
    /// before which every file is now done, when that moved: known only
    /// once the walk has ended (until then a file listed later may sort
    /// first). Once every file is done it returns nothing: the end of the
    /// scan says so.
    pub fn done(&self, key: &str) -> Option<String> {
        let mut s = self.lock();
        if let Some(n) = s.reading.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                s.reading.remove(key);
            }
        }
        if !s.walked {
            return None;
        }
        let first_queued = match s.sorted.front() {
            Some(q) => Some(q.key.as_str()),
            None => s.queued.peek().map(|Reverse(q)| q.key.as_str()),
        };
        let first_reading = s.reading.keys().next().map(String::as_str);
        let before = match (first_queued, first_reading) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return None,
        };
        if s.done_before.as_deref() == Some(before) {
            return None;
        }
        let before = before.to_string();
        s.done_before = Some(before.clone());
        Some(before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn item(path: &str) -> WalkItem {
        WalkItem::Skipped {
            path: PathBuf::from(path),
            reason: String::new(),
        }
    }

    fn key(t: &Taken) -> &str {
        &t.key
    }

    #[test]
    fn files_are_taken_in_path_order_and_known_done_once_the_walk_ended() {
        let d = Dispatch::default();
        for p in ["share/c.txt", "share/a.txt", "share/b/x.txt", "share/b.txt"] {
            assert!(d.push(p.to_string(), item(p)));
        }
        let a = d.take().unwrap();
        assert_eq!(key(&a), "share/a.txt");
        let b = d.take().unwrap();
        assert_eq!(key(&b), "share/b.txt");
        // Before the walk ends, a file listed later may sort first.
        assert_eq!(d.done(&a.key), None);
        d.push("share/a2.txt".into(), item("share/a2.txt"));
        d.walked();
        // a2 is queued, b is being read.
        assert_eq!(d.done(&b.key).as_deref(), Some("share/a2.txt"));
        let a2 = d.take().unwrap();
        assert_eq!(key(&a2), "share/a2.txt");
        let bx = d.take().unwrap();
        assert_eq!(key(&bx), "share/b/x.txt");
        // bx is done, a2 is not: nothing moved.
        assert_eq!(d.done(&bx.key), None);
        assert_eq!(d.done(&a2.key).as_deref(), Some("share/c.txt"));
        let c = d.take().unwrap();
        assert!(d.take().is_none());
        // All done: the end of the scan says so.
        assert_eq!(d.done(&c.key), None);
    }

    #[test]
    fn a_full_queue_holds_the_walk_until_a_file_is_taken_or_it_closes() {
        let d = std::sync::Arc::new(Dispatch::default());
        for i in 0..MAX_QUEUED {
            let p = format!("share/{i:06}.txt");
            assert!(d.push(p.clone(), item(&p)));
        }
        let pushing = {
            let d = d.clone();
            std::thread::spawn(move || d.push("share/late.txt".into(), item("share/late.txt")))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!pushing.is_finished());
        assert_eq!(d.take().map(|t| t.key).as_deref(), Some("share/000000.txt"));
        assert!(pushing.join().unwrap());
        let blocked = {
            let d = d.clone();
            std::thread::spawn(move || d.push("share/later.txt".into(), item("share/later.txt")))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        d.close();
        assert!(!blocked.join().unwrap());
        assert!(d.take().is_none());
    }
}
