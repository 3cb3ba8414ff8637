//! Japanese morphological analysis with lindera and IPADIC.
//!
//! The dictionary is compiled at build time from the MeCab IPADIC source
//! (Debian's `mecab-ipadic` package) and embedded, so the scanner needs no
//! dictionary files or network at run time. Loading it takes a few tens of
//! milliseconds and happens once per process, on first use.
//!
//! Tokenizing runs at roughly 14 MB/s per core, far slower than candidate
//! search, so detectors tokenize only a window around a candidate.

mod ipadic;
mod names;

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::OnceLock;

use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use lindera_dictionary::viterbi::Lattice;

use crate::error::{Error, ErrorKind, Result};

/// The Debian version of the `mecab-ipadic` package the embedded tokenizer
/// dictionary was built from.
pub const IPADIC_VERSION: &str = env!("MAMORI_IPADIC_VERSION");

/// Which source files of that package were compiled (a hash of them).
pub const IPADIC_ID: &str = env!("MAMORI_IPADIC_ID");

/// One token: its byte range in the input and its IPADIC features. The
/// part of speech comes from a per-thread cache by word id (a few distinct
/// tuples, interned), the reading from the dictionary when asked for:
/// tokenizing reads no feature string per token.
#[derive(Clone)]
pub struct Token<'a> {
    /// Surface form.
    pub surface: &'a str,
    /// Byte offset in the tokenized text.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// Part of speech and up to three subcategories
    /// (`名詞,固有名詞,人名,姓`); `*` fields are left out.
    pos: &'static [&'static str; 4],
    /// The entry, for the reading.
    word: Word<'a>,
}

/// A dictionary entry: known (a word id) or unknown (a character class).
#[derive(Clone, Copy)]
struct Word<'a> {
    dictionary: &'a lindera_dictionary::dictionary::Dictionary,
    id: u32,
    unknown: bool,
}

impl Word<'_> {
    /// The cache key: unknown entries apart from known ones.
    fn key(self) -> u64 {
        u64::from(self.id) << 1 | u64::from(self.unknown)
    }

    fn details(&self) -> impl Iterator<Item = &str> {
        if self.unknown {
            self.dictionary.unknown_word_details_iter(self.id as usize)
        } else {
            self.dictionary.word_details_iter(self.id as usize)
        }
    }
}

impl PartialEq for Token<'_> {
    fn eq(&self, other: &Self) -> bool {
        (
            self.surface,
            self.start,
            self.end,
            self.pos,
            self.word.key(),
        ) == (
            other.surface,
            other.start,
            other.end,
            other.pos,
            other.word.key(),
        )
    }
}

impl Eq for Token<'_> {}

impl std::fmt::Debug for Token<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("surface", &self.surface)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("pos", &self.pos())
            .field("reading", &self.reading())
            .finish()
    }
}

impl<'a> Token<'a> {
    /// The part of speech and its subcategories (`["名詞", "固有名詞",
    /// "人名", "姓"]`), empty for a word IPADIC has no features for.
    pub fn pos(&self) -> &'static [&'static str] {
        let n = self.pos.iter().position(|p| p.is_empty()).unwrap_or(4);
        &self.pos[..n]
    }

    /// The part of speech starts with these fields (`["名詞", "固有名詞"]`).
    pub fn is(&self, pos: &[&str]) -> bool {
        let own = self.pos();
        own.len() >= pos.len() && own.iter().zip(pos).all(|(a, b)| a == b)
    }

    /// Katakana reading, where the dictionary knows it.
    pub fn reading(&self) -> Option<&'a str> {
        let word = self.word;
        let d: &'a lindera_dictionary::dictionary::Dictionary = word.dictionary;
        let details = if word.unknown {
            d.unknown_word_details_iter(word.id as usize)
        } else {
            d.word_details_iter(word.id as usize)
        };
        details.take(8).nth(7).filter(|r| *r != "*")
    }
}

/// The part-of-speech fields of an entry (the first four, `*` left out),
/// from this thread's cache.
fn pos_of(word: Word<'_>) -> &'static [&'static str; 4] {
    POS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(p) = cache.by_word.get(&word.key()) {
            return *p;
        }
        let mut pos = [""; 4];
        let mut n = 0;
        for d in word.details().take(4) {
            if d != "*" {
                pos[n] = d;
                n += 1;
            }
        }
        let interned = match cache.tuples.get(&pos) {
            Some(p) => *p,
            None => {
                let interned = intern_pos(pos);
                cache.tuples.insert(*interned, interned);
                interned
            }
        };
        // Bounded: at most one entry per dictionary word.
        cache.by_word.insert(word.key(), interned);
        interned
    })
}

/// The process's copy of a part-of-speech tuple. Distinct tuples are few
/// (IPADIC has about seventy): each is allocated once and kept for the life
/// of the process, listed here, so leak checkers see it held, not lost.
/// Threads ask only on a miss of their own cache.
fn intern_pos(pos: [&str; 4]) -> &'static [&'static str; 4] {
    type Tuple = &'static [&'static str; 4];
    static TUPLES: std::sync::Mutex<Vec<Tuple>> = std::sync::Mutex::new(Vec::new());
    let mut all = TUPLES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(p) = all.iter().find(|p| ***p == pos) {
        return p;
    }
    let owned: [&'static str; 4] = pos.map(|f| &*Box::leak(f.to_string().into_boxed_str()));
    let kept: Tuple = Box::leak(Box::new(owned));
    all.push(kept);
    kept
}

/// A thread's part-of-speech cache.
#[derive(Default)]
struct PosCache {
    by_word: std::collections::HashMap<u64, &'static [&'static str; 4], Premixed>,
    tuples: std::collections::HashMap<[&'static str; 4], &'static [&'static str; 4]>,
}

/// The most bytes tokenized at once: a longer window (a line of a
/// megabyte) is tokenized in pieces, so the lattice and its tokens stay
/// small.
const MAX_WINDOW: usize = 64 * 1024;

/// Where the piece of `text[start..end]` tokenized next ends: all of it if
/// short, else at most [`MAX_WINDOW`] bytes on, after a space or
/// punctuation near there (where no word goes on) if there is one.
fn window_end(text: &str, start: usize, end: usize) -> usize {
    if end - start <= MAX_WINDOW {
        return end;
    }
    let limit = text.floor_char_boundary(start + MAX_WINDOW);
    let from = text.floor_char_boundary(limit - 1024);
    text[from..limit]
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace() || c.is_ascii_punctuation() || matches!(c, '。' | '、'))
        .map(|(i, c)| from + i + c.len_utf8())
        .filter(|&cut| cut > start)
        .unwrap_or(limit)
}

/// A byte range of a text to tokenize with some characters of context on
/// each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start of the range (a byte offset on a character boundary).
    pub start: usize,
    /// End of the range (exclusive).
    pub end: usize,
    /// Characters of context before it.
    pub before: usize,
    /// Characters of context after it.
    pub after: usize,
}

impl Span {
    /// `[start, end)` with `before` and `after` characters of context.
    pub fn new(start: usize, end: usize, before: usize, after: usize) -> Self {
        Span {
            start,
            end,
            before,
            after,
        }
    }
}

/// A tokenizer over the embedded IPADIC dictionary. Cheap to share between
/// threads: each thread keeps its own Viterbi lattice, reused across calls.
pub struct Tokenizer {
    segmenter: Segmenter,
}

/// The surfaces IPADIC files as parts of person names (名詞,固有名詞,人名,姓
/// and 人名,名): a name token can only be one of them, so a window in which
/// none ends where a name would need not be tokenized to know it holds none.
///
/// Held as hashes of the reversed surfaces, so that looking up every word
/// ending at one place costs one multiply and one probe per character: a
/// collision only means tokenizing a window for nothing.
pub struct NameLexicon {
    /// The slots of its table ([`names::table`]), little-endian: IPADIC's
    /// as `build.rs` wrote them, or made at run time.
    slots: Cow<'static, [u8]>,
    /// The longest surface, in characters.
    longest: usize,
}

/// The hasher of keys that are hashes already.
#[derive(Default, Clone, Copy)]
pub(crate) struct Premixed;

impl std::hash::BuildHasher for Premixed {
    type Hasher = PremixedHasher;
    fn build_hasher(&self) -> PremixedHasher {
        PremixedHasher(0)
    }
}

#[derive(Default)]
pub(crate) struct PremixedHasher(u64);

impl std::hash::Hasher for PremixedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Values remembered for short texts, per thread, in bounded memory: when
/// full, everything is forgotten at once (the texts that repeat come back
/// first).
pub(crate) struct ShortMemo<V> {
    map: std::collections::HashMap<Box<str>, V, Premixed>,
    capacity: usize,
}

impl<V> ShortMemo<V> {
    /// A memo of at most `capacity` texts.
    pub(crate) fn new(capacity: usize) -> Self {
        ShortMemo {
            map: std::collections::HashMap::with_hasher(Premixed),
            capacity,
        }
    }

    /// What was remembered for `text`.
    pub(crate) fn get(&self, text: &str) -> Option<&V> {
        self.map.get(text)
    }

    /// Remembers `value` for `text`.
    pub(crate) fn insert(&mut self, text: &str, value: V) {
        if self.map.len() >= self.capacity {
            self.map.clear();
        }
        self.map.insert(text.into(), value);
    }
}

/// A character a name in IPADIC may hold: kanji, kana, 々, ー, ・.
#[inline]
fn in_name(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{30FF}' | '\u{3005}' | '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF66}'..='\u{FF9F}')
}

impl NameLexicon {
    /// The names of the IPADIC source the binary was built from, as
    /// `build.rs` tabled them: the first eight bytes are the longest name's
    /// length in characters, the rest the table's slots.
    pub fn shared() -> &'static NameLexicon {
        static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/person_names.table"));
        static NAMES: OnceLock<NameLexicon> = OnceLock::new();
        NAMES.get_or_init(|| {
            let (longest, slots) = TABLE.split_at(8);
            let longest = u64::from_le_bytes(longest.try_into().expect("eight bytes"));
            NameLexicon {
                slots: Cow::Borrowed(slots),
                longest: usize::try_from(longest)
                    .unwrap_or(Self::LONGEST)
                    .min(Self::LONGEST),
            }
        })
    }

    /// A lexicon of `words`.
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut longest = 0;
        let mut hashes = Vec::new();
        for w in words {
            longest = longest.max(w.chars().count());
            hashes.push(names::hash(w));
        }
        NameLexicon {
            slots: names::table(hashes)
                .iter()
                .flat_map(|s| s.to_le_bytes())
                .collect(),
            longest: longest.min(Self::LONGEST),
        }
    }

    /// How many slots its table has.
    fn slots(&self) -> usize {
        self.slots.len() / 8
    }

    /// Slot `i` of its table.
    #[inline]
    fn slot(&self, i: usize) -> u64 {
        let at = 8 * i;
        u64::from_le_bytes(self.slots[at..at + 8].try_into().expect("eight bytes"))
    }

    /// Names longer than this many characters are not looked for.
    const LONGEST: usize = 16;

    /// Whether a known surname or given name ends in `text` before byte
    /// offset `at`, at most `slack` characters before it, spaces (half- or
    /// full-width) not counted: a name before an honorific (山田様, 山田
    /// 太郎様) or with a short given name IPADIC does not know as one
    /// (山田千尋様, where the surname ends three characters early).
    pub fn ends_near(&self, text: &str, at: usize, slack: usize) -> bool {
        const REACH: usize = NameLexicon::LONGEST + 16;
        let mut chars = ['\0'; REACH];
        let mut n = 0;
        for c in text[..at].chars().rev().take(REACH) {
            chars[n] = c;
            n += 1;
        }
        let is_space = |c: char| c == ' ' || c == '\u{3000}';
        let mut counted = 0;
        for k in 0..n {
            if is_space(chars[k]) {
                continue;
            }
            // The words whose last character is chars[k].
            let mut h = names::SEED;
            let len = self.slots();
            for &c in &chars[k..n.min(k + self.longest)] {
                if !in_name(c) {
                    break;
                }
                h = names::step(h, c);
                if names::holds(len, |i| self.slot(i), h) {
                    return true;
                }
            }
            if counted == slack {
                return false;
            }
            counted += 1;
        }
        false
    }
}

static SHARED: OnceLock<std::result::Result<Tokenizer, String>> = OnceLock::new();

thread_local! {
    /// This thread's lattice: tokenizing reuses its buffers instead of
    /// allocating a lattice per call.
    static LATTICE: RefCell<Lattice> = RefCell::new(Lattice::default());
    /// This thread's parts of speech by entry.
    static POS: RefCell<PosCache> = RefCell::new(PosCache::default());
    /// This thread's short texts with their tokens.
    static SHORT: RefCell<ShortMemo<Box<[Remembered]>>> =
        RefCell::new(ShortMemo::new(REMEMBERED_TEXTS));
}

/// Texts up to this many bytes (8 kanji) are remembered with their tokens:
/// table cells, not the longer windows around candidates in prose.
const REMEMBERED_TEXT: usize = 24;

/// The most short texts a thread remembers; then it starts again.
const REMEMBERED_TEXTS: usize = 8192;

/// A token of a remembered text, without the text.
struct Remembered {
    start: u32,
    end: u32,
    pos: &'static [&'static str; 4],
    id: u32,
    unknown: bool,
}

impl Tokenizer {
    /// Loads the embedded dictionary.
    pub fn new() -> Result<Self> {
        let dictionary = ipadic::load().map_err(|e| {
            Error::new(
                ErrorKind::Dictionary,
                format!("loading the IPADIC dictionary: {e}"),
            )
        })?;
        Ok(Tokenizer {
            segmenter: Segmenter::new(Mode::Normal, dictionary, None),
        })
    }

    /// The process-wide tokenizer, loaded on first use.
    pub fn shared() -> Result<&'static Tokenizer> {
        SHARED
            .get_or_init(|| Tokenizer::new().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::new(ErrorKind::Dictionary, e.clone()))
    }

    /// Splits `text` into tokens. Short texts (table cells: departments,
    /// titles, places, which repeat down a column and across files) are
    /// remembered per thread with their tokens, in bounded memory.
    pub fn tokenize<'a>(&'a self, text: &'a str) -> Result<Vec<Token<'a>>> {
        let dictionary = &self.segmenter.dictionary;
        let token = |t: &Remembered| {
            let (start, end) = (t.start as usize, t.end as usize);
            Token {
                surface: &text[start..end],
                start,
                end,
                pos: t.pos,
                word: Word {
                    dictionary,
                    id: t.id,
                    unknown: t.unknown,
                },
            }
        };
        let short = text.len() <= REMEMBERED_TEXT;
        if short
            && let Some(tokens) =
                SHORT.with(|c| c.borrow().get(text).map(|r| r.iter().map(token).collect()))
        {
            return Ok(tokens);
        }
        let tokens = LATTICE
            .with(|lattice| match lattice.try_borrow_mut() {
                Ok(mut lattice) => self
                    .segmenter
                    .segment_with_lattice(Cow::Borrowed(text), &mut lattice),
                // Re-entered on this thread (not done today): a fresh lattice.
                Err(_) => self.segmenter.segment(Cow::Borrowed(text)),
            })
            .map_err(|e| Error::new(ErrorKind::Dictionary, format!("tokenizing: {e}")))?;
        let tokens: Vec<Token<'a>> = tokens
            .into_iter()
            .map(|t| {
                let (start, end) = (t.byte_start, t.byte_end);
                let word = Word {
                    dictionary: t.dictionary,
                    id: t.word_id.id(),
                    unknown: t.word_id.is_unknown(),
                };
                Token {
                    surface: &text[start..end],
                    start,
                    end,
                    pos: pos_of(word),
                    word,
                }
            })
            .collect();
        if short {
            let remembered = tokens
                .iter()
                .map(|t| Remembered {
                    start: t.start as u32,
                    end: t.end as u32,
                    pos: t.pos,
                    id: t.word.id,
                    unknown: t.word.unknown,
                })
                .collect();
            SHORT.with(|c| c.borrow_mut().insert(text, remembered));
        }
        Ok(tokens)
    }

    /// Tokenizes only windows of `margin` characters around each span of
    /// `text` (byte ranges), merging windows that overlap. Token offsets are
    /// in `text`. This is how detectors confirm candidates without paying
    /// for tokenizing whole files.
    pub fn tokenize_around<'a>(
        &'a self,
        text: &'a str,
        spans: &[(usize, usize)],
        margin: usize,
    ) -> Result<Vec<Token<'a>>> {
        let spans: Vec<Span> = spans
            .iter()
            .map(|&(start, end)| Span::new(start, end, margin, margin))
            .collect();
        self.tokenize_spans(text, &spans)
    }

    /// Like [`Tokenizer::tokenize_around`], with the context on each side
    /// given per span: a name ends before its honorific and starts after its
    /// label, so each needs context on one side only.
    pub fn tokenize_spans<'a>(&'a self, text: &'a str, spans: &[Span]) -> Result<Vec<Token<'a>>> {
        let back = |at: usize, n: usize| {
            if n == 0 {
                return at;
            }
            text[..at]
                .char_indices()
                .rev()
                .nth(n - 1)
                .map_or(0, |(i, _)| i)
        };
        let fwd = |at: usize, n: usize| {
            text[at..]
                .char_indices()
                .nth(n)
                .map_or(text.len(), |(i, _)| at + i)
        };
        let mut windows: Vec<(usize, usize)> = spans
            .iter()
            .map(|s| (back(s.start, s.before), fwd(s.end, s.after)))
            .collect();
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for w in windows {
            match merged.last_mut() {
                Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
                _ => merged.push(w),
            }
        }
        let mut out = Vec::new();
        for (s, e) in merged {
            let mut s = s;
            while s < e {
                let cut = window_end(text, s, e);
                for mut t in self.tokenize(&text[s..cut])? {
                    t.start += s;
                    t.end += s;
                    out.push(t);
                }
                s = cut;
            }
        }
        Ok(out)
    }

    /// True if `[start, end)` of `text` begins and ends on token boundaries.
    pub fn on_boundaries(&self, text: &str, start: usize, end: usize) -> Result<bool> {
        let tokens = self.tokenize(text)?;
        let starts = tokens.iter().any(|t| t.start == start);
        let ends = tokens.iter().any(|t| t.end == end);
        Ok(starts && ends)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_of_speech_tuples_are_kept_once_for_all_threads() {
        let here = intern_pos(["名詞", "固有名詞", "人名", "姓"]);
        let there = std::thread::spawn(|| {
            std::ptr::from_ref(intern_pos(["名詞", "固有名詞", "人名", "姓"])) as usize
        })
        .join()
        .unwrap();
        assert_eq!(std::ptr::from_ref(here) as usize, there);
        assert_eq!(here, &["名詞", "固有名詞", "人名", "姓"]);
        assert_ne!(here, intern_pos(["名詞", "固有名詞", "人名", "名"]));
    }

    #[test]
    fn names_end_where_a_known_surname_or_given_name_does() {
        let n = NameLexicon::shared();
        // The text before an honorific at the end of each string.
        let ends = |text: &str| n.ends_near(text, text.len(), 3);
        assert!(ends("昨日、佐藤"), "a surname right before");
        assert!(ends("受付の佐藤　太郎"), "a given name after a space");
        assert!(
            ends("佐藤 千尋"),
            "a surname, a space and a short given name"
        );
        assert!(ends("担当は佐藤千尋"), "a surname three characters before");
        assert!(!ends("その時、ふと"), "kana only");
        assert!(!ends("窓口"), "a common noun");
        assert!(!ends("、"), "punctuation");
        assert!(!ends(""), "nothing");
        // Too far: a surname followed by four more characters.
        assert!(!ends("佐藤のいもうと"));
    }

    #[test]
    fn the_name_table_from_build_rs_holds_the_names_of_ipadic() {
        let listed = include_str!(concat!(env!("OUT_DIR"), "/person_names.txt"));
        let built = NameLexicon::shared();
        let made = NameLexicon::new(listed.lines());
        assert_eq!(built.longest, made.longest);
        assert_eq!(built.slots, made.slots);
        assert!(listed.lines().count() > 10_000);
    }

    #[test]
    fn a_lexicon_of_invented_names_finds_only_them() {
        let n = NameLexicon::new(["架空", "仮名子"]);
        assert!(n.ends_near("これは架空", "これは架空".len(), 0));
        assert!(n.ends_near("仮名子さん", "仮名子".len(), 0));
        assert!(!n.ends_near("仮名", "仮名".len(), 0));
        assert!(n.ends_near("架空あいう", "架空あいう".len(), 3));
        assert!(!n.ends_near("架空あいうえ", "架空あいうえ".len(), 3));
    }

    #[test]
    fn segments_japanese_with_ipadic_features() {
        let t = Tokenizer::shared().unwrap();
        let tokens = t.tokenize("山田太郎は東京都に住んでいます").unwrap();
        let surfaces: Vec<&str> = tokens.iter().map(|t| t.surface).collect();
        assert_eq!(surfaces[..2], ["山田", "太郎"]);
        assert!(
            tokens[0].is(&["名詞", "固有名詞", "人名", "姓"]),
            "{:?}",
            tokens[0]
        );
        assert!(
            tokens[1].is(&["名詞", "固有名詞", "人名", "名"]),
            "{:?}",
            tokens[1]
        );
        assert_eq!(tokens[0].reading(), Some("ヤマダ"));
        // Unknown words have no reading.
        let odd = t.tokenize("ヴァヴィヴェ").unwrap();
        assert!(odd.iter().all(|t| t.reading().is_none()), "{odd:?}");
        assert!(tokens.iter().any(|t| t.surface == "東京"));
    }

    #[test]
    fn windows_give_the_same_tokens_near_their_spans() {
        let t = Tokenizer::shared().unwrap();
        let text = format!(
            "{}山田太郎は東京都に住んでいます{}",
            "あ".repeat(200),
            "い".repeat(200)
        );
        let s = text.find("山田").unwrap();
        let tokens = t
            .tokenize_around(&text, &[(s, s + "山田".len())], 16)
            .unwrap();
        let full = t.tokenize(&text).unwrap();
        let yamada = tokens.iter().find(|t| t.surface == "山田").unwrap();
        assert_eq!(yamada.start, s);
        assert!(
            full.iter()
                .any(|f| f.start == yamada.start && f.end == yamada.end && f.pos == yamada.pos)
        );
        assert!(tokens.len() < full.len());
    }

    #[test]
    fn a_long_window_is_tokenized_in_pieces_cut_where_no_word_goes_on() {
        let t = Tokenizer::shared().unwrap();
        let sentence = "架空商事の担当は営業部です。";
        let text = sentence.repeat(3 * MAX_WINDOW / sentence.len());
        let tokens = t
            .tokenize_spans(&text, &[Span::new(0, text.len(), 0, 0)])
            .unwrap();
        // Every byte covered once, in order.
        assert_eq!(tokens.first().map(|t| t.start), Some(0));
        assert_eq!(tokens.last().map(|t| t.end), Some(text.len()));
        assert!(tokens.windows(2).all(|w| w[0].end == w[1].start));
        // Cut after a full stop, so each sentence is tokenized as alone.
        let alone: Vec<&str> = t
            .tokenize(sentence)
            .unwrap()
            .iter()
            .map(|t| t.surface)
            .collect();
        let surfaces: Vec<&str> = tokens.iter().map(|t| t.surface).collect();
        assert_eq!(surfaces.len() % alone.len(), 0);
        for chunk in surfaces.chunks(alone.len()) {
            assert_eq!(chunk, alone);
        }
        // A window with nowhere to cut is cut at a character boundary.
        let solid = "漢".repeat(MAX_WINDOW);
        let end = window_end(&solid, 0, solid.len());
        assert!(end <= MAX_WINDOW && solid.is_char_boundary(end) && end > MAX_WINDOW - 3);
        assert_eq!(window_end(&solid, 0, 300), 300);
    }

    #[test]
    fn a_remembered_short_text_gives_the_tokens_it_gave() {
        let t = Tokenizer::shared().unwrap();
        for text in ["営業部", "山田太郎", "東京都港区"] {
            let first = t.tokenize(text).unwrap();
            // Another string with the same text: from this thread's memory.
            let again = text.to_string();
            let second = t.tokenize(&again).unwrap();
            assert_eq!(first, second, "{text}");
            assert_eq!(
                first.iter().map(|t| t.reading()).collect::<Vec<_>>(),
                second.iter().map(|t| t.reading()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn boundaries_separate_words_from_prefixes_of_words() {
        let t = Tokenizer::shared().unwrap();
        let text = "がんばる";
        assert!(!t.on_boundaries(text, 0, "がん".len()).unwrap());
        let text = "昨年がんと診断された";
        let s = text.find("がん").unwrap();
        assert!(t.on_boundaries(text, s, s + "がん".len()).unwrap());
    }
}
