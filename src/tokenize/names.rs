//! The hashes of person names and the table that holds them, shared by
//! `build.rs` (which writes the table of IPADIC's names, so that no scan
//! hashes 32,000 names at its start) and [`super::NameLexicon`].

/// Where the hash of a reversed surface starts.
pub const SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// One more character (towards the start) of a reversed surface's hash.
#[inline]
pub fn step(h: u64, c: char) -> u64 {
    let h = (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3);
    h ^ (h >> 29)
}

/// The hash of `word`, read from its end.
pub fn hash(word: &str) -> u64 {
    word.chars().rev().fold(SEED, step)
}

/// What a slot holds for `h`: 0 marks a free slot, so a hash of 0 is kept
/// as 1 (a collision only means tokenizing a window for nothing).
#[inline]
fn kept(h: u64) -> u64 {
    h.max(1)
}

/// An open-addressing table of `hashes`: a power of two of slots, at least
/// twice as many as there are hashes, each hash in the slot its low bits
/// name or the next free one after it.
pub fn table(hashes: impl IntoIterator<Item = u64>) -> Vec<u64> {
    let hashes: Vec<u64> = hashes.into_iter().map(kept).collect();
    let mut slots = vec![0u64; (2 * hashes.len()).next_power_of_two().max(2)];
    let mask = slots.len() - 1;
    for h in hashes {
        let mut i = h as usize & mask;
        while slots[i] != 0 && slots[i] != h {
            i = (i + 1) & mask;
        }
        slots[i] = h;
    }
    slots
}

/// Whether the table of `len` slots (a power of two) that `slot` reads
/// holds `h`.
#[inline]
pub fn holds(len: usize, slot: impl Fn(usize) -> u64, h: u64) -> bool {
    let h = kept(h);
    let mask = len - 1;
    let mut i = h as usize & mask;
    loop {
        match slot(i) {
            0 => return false,
            s if s == h => return true,
            _ => i = (i + 1) & mask,
        }
    }
}
