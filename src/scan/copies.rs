//! Copies: a file whose content was read earlier in the run is not read
//! again; the first copy's outcome is given under the copy's path.
//!
//! Shares hold many copies (a roster saved in three project folders, a
//! template filled and re-filled, backups next to the originals), and a
//! file's findings depend on nothing but its bytes and its extension
//! (which decides how a file with no telling content is read). So the
//! scanner keys each small file by the BLAKE3 hash of its content and
//! its extension; the first copy is read, the others are given its findings,
//! locations, contexts and fingerprints, with their own path.
//!
//! Only files up to [`MAX_BYTES`] take part: they are read into memory
//! once, hashed, and read from there, so a copy costs one read and one
//! hash. A larger file is streamed as before (hashing it first would read
//! it twice, which costs most on a network share). What is remembered is
//! bounded ([`MAX_HELD`], [`MAX_ENTRIES`]); the oldest outcomes are
//! forgotten first, and a file with more findings than [`MAX_FINDINGS`] is
//! not remembered at all.

use crate::finding::Finding;
use crate::scan::EntryProblem;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// The largest file whose copies are recognised.
pub const MAX_BYTES: u64 = 4 << 20;
/// The most findings of a file remembered for its copies.
pub const MAX_FINDINGS: usize = 16_384;
/// About how many bytes the remembered outcomes may hold.
pub const MAX_HELD: usize = 32 << 20;
/// The most contents remembered.
pub const MAX_ENTRIES: usize = 200_000;

/// What tells copies apart: the content's BLAKE3 hash (a cryptographic
/// hash, so no crafted file passes for a copy of another) and the file's
/// extension, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// BLAKE3 of the content.
    pub digest: [u8; 32],
    /// The extension, lower case.
    pub extension: Box<str>,
}

/// What reading a content gave.
#[derive(Debug)]
pub enum Outcome {
    /// It was read.
    Read {
        /// The path it was read under (findings' paths start with it).
        shown: String,
        /// How it was read.
        format: &'static str,
        /// For text, the encoding.
        encoding: Option<String>,
        /// All its findings, in file order.
        findings: Vec<Finding>,
        /// Its archive entries' problems.
        problems: Vec<EntryProblem>,
    },
    /// It was not read, for this reason.
    Skipped(String),
}

/// What one allocation costs beyond its bytes (header, size-class rounding).
const PER_ALLOCATION: usize = 16;

impl Outcome {
    /// About how many bytes it holds, with the map's, queue's and
    /// allocator's share.
    fn weight(&self) -> usize {
        use std::mem::size_of;
        let text = |s: &str| s.len() + PER_ALLOCATION;
        // The map's slot (at half load), the queue's copy of the key and
        // the shared outcome itself.
        let base = 2 * (size_of::<Key>() + size_of::<usize>())
            + 2 * size_of::<Key>()
            + size_of::<Outcome>()
            + 2 * PER_ALLOCATION
            + 8;
        match self {
            Outcome::Read {
                shown,
                findings,
                problems,
                ..
            } => {
                base + text(shown)
                    + findings.capacity() * size_of::<Finding>()
                    + findings.iter().map(finding_weight).sum::<usize>()
                    + problems.capacity() * size_of::<EntryProblem>()
                    + problems
                        .iter()
                        .map(|p| text(&p.path) + text(&p.reason))
                        .sum::<usize>()
            }
            Outcome::Skipped(reason) => base + text(reason),
        }
    }
}

/// The bytes a finding's text takes, beside the finding itself.
fn finding_weight(f: &Finding) -> usize {
    let text = |s: &str| s.len() + PER_ALLOCATION;
    text(&f.path) + text(&f.rule) + text(&f.masked) + text(&f.fingerprint) + text(&f.context)
}

/// `path` (which starts with `from`) as it is under `to`.
pub fn moved(path: &str, from: &str, to: &str) -> String {
    let rest = path.strip_prefix(from).unwrap_or("");
    let mut out = String::with_capacity(to.len() + rest.len());
    out.push_str(to);
    out.push_str(rest);
    out
}

/// `finding` of a copy at `from`, as found in the copy at `to`.
pub fn moved_finding(finding: &Finding, from: &str, to: &str) -> Finding {
    Finding {
        path: moved(&finding.path, from, to),
        category: finding.category,
        confidence: finding.confidence,
        rule: finding.rule.clone(),
        location: finding.location.clone(),
        masked: finding.masked.clone(),
        fingerprint: finding.fingerprint.clone(),
        context: finding.context.clone(),
    }
}

#[derive(Default)]
struct Held {
    by_key: HashMap<Key, Arc<Outcome>>,
    /// Keys in the order they were remembered, oldest first.
    order: VecDeque<Key>,
    bytes: usize,
}

/// The outcomes of the contents read so far in a run. Shared by the
/// workers; each file takes the lock once to look up and once to remember.
#[derive(Default)]
pub struct Copies {
    held: Mutex<Held>,
    /// Files given a copy's outcome.
    reused: std::sync::atomic::AtomicU64,
}

impl Copies {
    /// The outcome of an earlier copy of `key`, if remembered.
    pub fn get(&self, key: &Key) -> Option<Arc<Outcome>> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let hit = held.by_key.get(key).cloned();
        if hit.is_some() {
            self.reused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        hit
    }

    /// Remembers what `key`'s content gave, forgetting the oldest outcomes
    /// if the bounds are passed.
    pub fn put(&self, key: Key, outcome: Outcome) {
        let weight = outcome.weight();
        if weight > MAX_HELD / 4 {
            return;
        }
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.by_key.contains_key(&key) {
            return;
        }
        held.bytes += weight;
        held.order.push_back(key.clone());
        held.by_key.insert(key, Arc::new(outcome));
        while held.bytes > MAX_HELD || held.by_key.len() > MAX_ENTRIES {
            let Some(oldest) = held.order.pop_front() else {
                break;
            };
            if let Some(o) = held.by_key.remove(&oldest) {
                held.bytes -= o.weight();
            }
        }
    }

    /// How many files were given an earlier copy's outcome.
    pub fn reused(&self) -> u64 {
        self.reused.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Key {
        Key {
            digest: [n; 32],
            extension: "txt".into(),
        }
    }

    fn skipped(len: usize) -> Outcome {
        Outcome::Skipped("x".repeat(len))
    }

    #[test]
    fn moved_keeps_what_follows_the_file_path() {
        assert_eq!(
            moved("a/x.zip!in/b.txt", "a/x.zip", "c/y.zip"),
            "c/y.zip!in/b.txt"
        );
        assert_eq!(moved("a/x.txt", "a/x.txt", "b/x.txt"), "b/x.txt");
    }

    #[test]
    fn remembers_up_to_its_bounds_forgetting_the_oldest_first() {
        let copies = Copies::default();
        copies.put(key(1), skipped(10));
        assert!(copies.get(&key(1)).is_some());
        assert!(copies.get(&key(2)).is_none());
        let other_extension = Key {
            extension: "csv".into(),
            ..key(1)
        };
        assert!(copies.get(&other_extension).is_none());
        // Too heavy to remember at all.
        copies.put(key(3), skipped(MAX_HELD / 2));
        assert!(copies.get(&key(3)).is_none());
        // Each of these holds a fifth of the bound: the sixth pushes the
        // first ones out.
        for n in 10..16 {
            copies.put(key(n), skipped(MAX_HELD / 5));
        }
        assert!(copies.get(&key(1)).is_none());
        assert!(copies.get(&key(10)).is_none());
        assert!(copies.get(&key(15)).is_some());
        let held = copies.held.lock().unwrap();
        assert!(held.bytes <= MAX_HELD);
        assert_eq!(held.by_key.len(), held.order.len());
        assert_eq!(copies.reused(), 2);
    }
}
