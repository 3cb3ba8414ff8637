//! Normalisation of text for matching, with a map back to the original.
//!
//! Detectors match on normalised text: full-width ASCII (`０１２`, `ＡＢＣ`, `＠`)
//! folds to ASCII, the ideographic space to a space, and every hyphen or dash
//! look-alike (`‐ ‑ – — ― − －`) to `-`. The katakana prolonged sound mark
//! (`ー`, `ｰ`) is a dash only between two digits (`090ー1234`); elsewhere it is
//! part of a word (`マイナンバー`) and is kept.
//!
//! Every replacement maps one character to one character, so character
//! indices are shared between the two texts; byte offsets differ, and
//! [`Normalized::to_original`] converts them.

use std::borrow::Cow;

/// Normalised text plus what is needed to map offsets back to the original.
#[derive(Debug, Clone)]
pub struct Normalized<'a> {
    text: Cow<'a, str>,
    /// Every replaced character that became shorter, in order: offsets map
    /// both ways by binary search.
    shrinks: Vec<Shrink>,
}

/// A replacement that saved bytes.
#[derive(Debug, Clone, Copy)]
struct Shrink {
    /// Byte offset of the character in the normalised text.
    norm: usize,
    /// Byte offset of the character in the original text.
    original: usize,
    /// Bytes saved by this and every earlier replacement.
    saved: usize,
}

fn is_digit_like(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Hyphen and dash look-alikes that always fold to `-`.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// The folding that does not depend on neighbours: full-width ASCII to
/// ASCII, the ideographic space to a space, dashes to `-`.
#[inline]
pub(crate) fn fold_alone(c: char) -> Option<char> {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21),
        '\u{3000}' => Some(' '),
        c if is_dash(c) => Some('-'),
        _ => None,
    }
}

fn fold(c: char, prev: Option<char>, next: Option<char>) -> Option<char> {
    match c {
        'ー' | 'ｰ' if prev.is_some_and(is_digit_like) && next.is_some_and(is_digit_like) => {
            Some('-')
        }
        c => fold_alone(c),
    }
}

/// True if `c` could be changed by [`normalize`].
fn may_fold(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}' | 'ー' | 'ｰ') || is_dash(c)
}

/// Normalises `text`; borrows it when nothing changes (the common case).
pub fn normalize(text: &str) -> Normalized<'_> {
    if !text.chars().any(may_fold) {
        return Normalized {
            text: Cow::Borrowed(text),
            shrinks: Vec::new(),
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut shrinks = Vec::new();
    let mut saved = 0;
    let mut prev = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match fold(c, prev, next) {
            Some(f) => {
                let original = out.len() + saved;
                saved += c.len_utf8() - f.len_utf8();
                shrinks.push(Shrink {
                    norm: out.len(),
                    original,
                    saved,
                });
                out.push(f);
            }
            None => out.push(c),
        }
        prev = Some(c);
    }
    Normalized {
        text: Cow::Owned(out),
        shrinks,
    }
}

impl Normalized<'_> {
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Maps a byte offset in the normalised text (on a character boundary)
    /// to the byte offset of the same character in the original text.
    pub fn to_original(&self, offset: usize) -> usize {
        let before = self.shrinks.partition_point(|r| r.norm < offset);
        offset + before.checked_sub(1).map_or(0, |i| self.shrinks[i].saved)
    }

    /// Maps a byte offset in the original text (on a character boundary) to
    /// the byte offset of the same character in the normalised text.
    pub fn to_normalized(&self, original: usize) -> usize {
        let before = self.shrinks.partition_point(|r| r.original < original);
        original - before.checked_sub(1).map_or(0, |i| self.shrinks[i].saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_both_ways() {
        let text = "電話：０３－１２３４ mail ａ＠ｂ．ｊｐ 終";
        let n = normalize(text);
        for (orig, c) in text.char_indices() {
            let norm = n.to_normalized(orig);
            assert_eq!(n.to_original(norm), orig, "{c}");
            let folded = n.as_str()[norm..].chars().next().unwrap();
            assert!(
                folded == c || fold(c, None, None).is_some() || c == '－',
                "{c} {folded}"
            );
        }
        assert_eq!(n.to_normalized(text.len()), n.as_str().len());
    }

    #[test]
    fn folds_full_width_and_dashes() {
        let n = normalize("個人番号：１２３４－５６７８―９０１２");
        assert_eq!(n.as_str(), "個人番号:1234-5678-9012");
    }

    #[test]
    fn prolonged_sound_mark_is_a_dash_only_between_digits() {
        assert_eq!(normalize("マイナンバー").as_str(), "マイナンバー");
        assert_eq!(normalize("090ー1234ｰ5678").as_str(), "090-1234-5678");
        assert_eq!(normalize("０９０ー１２３４").as_str(), "090-1234");
    }

    #[test]
    fn every_dash_look_alike_folds() {
        for d in ["‐", "‑", "–", "—", "―", "−", "－"] {
            assert_eq!(normalize(&format!("1{d}2")).as_str(), "1-2", "{d}");
        }
    }

    #[test]
    fn offsets_map_back_to_the_original() {
        let original = "番号　１２３４ab";
        let n = normalize(original);
        assert_eq!(n.as_str(), "番号 1234ab");
        let at = n.as_str().find("34").unwrap();
        let o = n.to_original(at);
        assert!(original[o..].starts_with("３４"));
        let end = n.to_original(n.as_str().len());
        assert_eq!(end, original.len());
    }

    #[test]
    fn unchanged_text_is_borrowed() {
        let n = normalize("本日もがんばりましょう 123");
        assert!(matches!(n.text, Cow::Borrowed(_)));
        assert_eq!(n.to_original(5), 5);
    }
}
