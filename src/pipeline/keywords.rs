//! Leftmost-longest keyword matching over characters.
//!
//! The intent rules, the emotion lexicon and the policy's intercept words are each a list of
//! short keywords (a few thousand, two to four characters each) searched in every buyer
//! message. A byte automaton over such a list reads one transition per UTF-8 byte, three per
//! Chinese character, from a table of megabytes (a full DFA: states × byte classes) or with
//! failure links to follow (an NFA); on a chat message most of those reads miss the cache.
//!
//! [`Keywords`] is a character trie kept in one open-addressing hash table keyed by
//! `(node, char)`: a keyword list of 8.8 KiB (the emotion lexicon) takes a table of 128 KiB.
//! A bit per BMP character (8 KiB) says whether any keyword starts with it: a pass over 64
//! bytes of text at a time marks where walks can start, with no branch per character, and
//! only there is the longest keyword looked up, one probe per character of the walk. The
//! matches are those of a leftmost-longest aho-corasick search over the same patterns: at
//! every position where a keyword starts, the longest one wins (`退款到账` over `退款`,
//! `不错` over the negator `不`); the search resumes after it; identical patterns report the
//! first.

use crate::error::Error;

/// Most trie nodes one list may have (the table stays addressable with `u32` ids).
const MAX_NODES: usize = 1 << 26;

/// No pattern ends at this node.
const NONE: u32 = u32::MAX;

/// One edge of the trie: the key `(parent + 1) << 21 | char`, the child node, and the pattern
/// that ends at the child (`NONE` if none). Key 0 marks an empty slot.
#[derive(Debug, Clone, Copy, Default)]
struct Edge {
    key: u64,
    child: u32,
    pattern: u32,
}

/// A compiled keyword list; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Keywords {
    edges: Vec<Edge>,
    /// `64 - log2(edges.len())`: the hash's top bits index the table.
    shift: u32,
    /// Bit `c` (of `c & 63` in word `c >> 6`): some keyword starts with the BMP character `c`
    /// (8 KiB). [`Iter`] finds every place a walk can start from these bits, with no branch
    /// per character; characters above the BMP are always tried.
    starts: Box<[u64; 1024]>,
}

/// One match: the pattern's index in the list given to [`Keywords::new`] and its byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
}

#[inline(always)]
fn key(node: u32, c: u32) -> u64 {
    (u64::from(node) + 1) << 21 | u64::from(c)
}

impl Keywords {
    /// Compiles `patterns` (`None` when there are none). Empty patterns never match.
    pub(crate) fn new<P: AsRef<str>>(patterns: &[P]) -> Result<Option<Keywords>, Error> {
        if patterns.is_empty() {
            return Ok(None);
        }
        // The trie's edges, gathered first so the table can be sized once.
        let mut edges: std::collections::HashMap<u64, (u32, u32)> = Default::default();
        let mut nodes: usize = 1;
        for (i, p) in patterns.iter().enumerate() {
            let mut node = 0u32;
            let mut last = None;
            for c in p.as_ref().chars() {
                let k = key(node, c as u32);
                let next = nodes as u32;
                let e = edges.entry(k).or_insert_with(|| {
                    nodes += 1;
                    (next, NONE)
                });
                node = e.0;
                last = Some(k);
                if nodes > MAX_NODES {
                    return Err(Error::TooLarge {
                        file: "keywords".into(),
                        what: "the keyword characters of one list".into(),
                        limit: MAX_NODES,
                    });
                }
            }
            // The pattern ends on its last edge; the first of identical patterns wins.
            if let Some(e) = last.and_then(|k| edges.get_mut(&k))
                && e.1 == NONE
            {
                e.1 = i as u32;
            }
        }
        let size = (edges.len() * 2).next_power_of_two().max(16);
        let shift = 64 - size.trailing_zeros();
        let mut table = vec![Edge::default(); size];
        let mut starts = Box::new([0u64; 1024]);
        for &k in edges.keys() {
            let c = k & 0x1F_FFFF;
            if k >> 21 == 1 && c < 0x1_0000 {
                starts[(c >> 6) as usize] |= 1 << (c & 63);
            }
        }
        let mut sorted: Vec<_> = edges.into_iter().collect();
        // Insertion order decides probe sequences only; sorting keeps the table reproducible.
        sorted.sort_unstable_by_key(|&(k, _)| k);
        for (k, (child, pattern)) in sorted {
            let mut s = slot(k, shift);
            while table[s].key != 0 {
                s = (s + 1) & (size - 1);
            }
            table[s] = Edge { key: k, child, pattern };
        }
        Ok(Some(Keywords { edges: table, shift, starts }))
    }

    /// The edge from `node` on `c`.
    #[inline(always)]
    fn step(&self, node: u32, c: u32) -> Option<&Edge> {
        let k = key(node, c);
        let mask = self.edges.len() - 1;
        let mut s = slot(k, self.shift);
        loop {
            let e = self.edges.get(s)?;
            if e.key == k {
                return Some(e);
            }
            if e.key == 0 {
                return None;
            }
            s = (s + 1) & mask;
        }
    }

    /// The leftmost-longest, non-overlapping matches in `text`, left to right.
    pub(crate) fn find_iter<'a>(&'a self, text: &'a str) -> Iter<'a> {
        Iter { kw: self, text: text.as_bytes(), at: 0, base: 0, end: 0, mask: 0 }
    }

    /// 1 if a keyword may start with `c` (exact for the BMP), else 0.
    #[inline(always)]
    fn may_start(&self, c: u32) -> u64 {
        let word = self.starts[(c >> 6) as usize & 1023];
        (word >> (c & 63)) & 1 | u64::from(c >= 0x1_0000)
    }
}

#[inline(always)]
fn slot(k: u64, shift: u32) -> usize {
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// The code point starting at byte `i` of valid UTF-8 `b`, and its length in bytes.
#[inline(always)]
fn decode(b: &[u8], i: usize) -> (u32, usize) {
    let b0 = u32::from(b[i]);
    let cont = |k: usize| u32::from(b.get(i + k).copied().unwrap_or(0x80) & 0x3F);
    if b0 < 0x80 {
        (b0, 1)
    } else if b0 < 0xE0 {
        ((b0 & 0x1F) << 6 | cont(1), 2)
    } else if b0 < 0xF0 {
        ((b0 & 0x0F) << 12 | cont(1) << 6 | cont(2), 3)
    } else {
        ((b0 & 0x07) << 18 | cont(1) << 12 | cont(2) << 6 | cont(3), 4)
    }
}

/// Iterator of [`Keywords::find_iter`]. The text is read in windows of 64 bytes: one pass
/// over a window's characters marks, in `mask`, the bytes where a character that starts some
/// keyword begins (no branch on the character), and only those places are walked.
#[derive(Debug)]
pub(crate) struct Iter<'a> {
    kw: &'a Keywords,
    text: &'a [u8],
    /// Where the next match may start (the end of the last one).
    at: usize,
    /// The window: its first byte, the end of its last character, and bit `j` set when a
    /// walk may start at byte `base + j` (bits before `at` cleared).
    base: usize,
    end: usize,
    mask: u64,
}

impl Iter<'_> {
    /// Marks the window of the characters that start in `from..from + 64`.
    #[inline]
    fn scan(&mut self, from: usize) {
        let b = self.text;
        let stop = (from + 64).min(b.len());
        let (mut mask, mut p) = (0u64, from);
        while p < stop {
            let (c, len) = decode(b, p);
            mask |= self.kw.may_start(c) << (p - from);
            p += len;
        }
        (self.base, self.end, self.mask) = (from, p, mask);
    }
}

impl Iterator for Iter<'_> {
    type Item = Hit;

    #[inline]
    fn next(&mut self) -> Option<Hit> {
        let b = self.text;
        loop {
            if self.mask == 0 {
                let from = self.at.max(self.end);
                if from >= b.len() {
                    return None;
                }
                self.scan(from);
                continue;
            }
            let start = self.base + self.mask.trailing_zeros() as usize;
            self.mask &= self.mask - 1;
            let (c, len) = decode(b, start);
            let Some(e) = self.kw.step(0, c) else { continue };
            let mut best = (e.pattern != NONE).then_some((e.pattern, start + len));
            let (mut node, mut j) = (e.child, start + len);
            while j < b.len() {
                let (c, len) = decode(b, j);
                let Some(e) = self.kw.step(node, c) else { break };
                j += len;
                node = e.child;
                if e.pattern != NONE {
                    best = Some((e.pattern, j));
                }
            }
            if let Some((p, end)) = best {
                self.at = end;
                // Places inside the match are passed over.
                self.mask &= (!0u64).checked_shl((end - self.base) as u32).unwrap_or(0);
                return Some(Hit { pattern: p as usize, start, end });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};
    use proptest::prelude::*;

    fn hits(kw: &Keywords, text: &str) -> Vec<(usize, usize, usize)> {
        kw.find_iter(text).map(|h| (h.pattern, h.start, h.end)).collect()
    }

    /// What a leftmost-longest aho-corasick search reports over the same patterns.
    fn reference(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns)
            .expect("small pattern lists build");
        ac.find_iter(text).map(|m| (m.pattern().as_usize(), m.start(), m.end())).collect()
    }

    #[test]
    fn longest_at_the_leftmost_start_wins() {
        let kw = Keywords::new(&["退款", "退款到账", "不", "不错", "错"]).unwrap().unwrap();
        let text = "退款到账了吗不错退款";
        let found: Vec<&str> = kw.find_iter(text).map(|h| &text[h.start..h.end]).collect();
        assert_eq!(found, ["退款到账", "不错", "退款"]);
        assert_eq!(hits(&kw, "不错"), [(3, 0, 6)]);
        // A prefix of a keyword that does not complete falls back to the shorter keyword.
        assert_eq!(hits(&kw, "退款到"), [(0, 0, 6)]);
    }

    #[test]
    fn identical_patterns_report_the_first_and_empty_ones_never_match() {
        let kw = Keywords::new(&["", "好", "好"]).unwrap().unwrap();
        assert_eq!(hits(&kw, "好好"), [(1, 0, 3), (1, 3, 6)]);
        assert!(hits(&kw, "").is_empty());
        assert!(Keywords::new::<&str>(&[]).unwrap().is_none());
    }

    #[test]
    fn mixed_widths_and_nul() {
        let pats = ["a", "ab", "é", "😡😡", "\0x", "客服"];
        let kw = Keywords::new(&pats).unwrap().unwrap();
        let text = "xaab é😡😡😡\0x客服";
        let owned: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
        assert_eq!(hits(&kw, text), reference(&owned, text));
        assert_eq!(hits(&kw, text).len(), 6);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        /// Same matches as aho-corasick's leftmost-longest search, for lists dense in shared
        /// prefixes (a small alphabet of 1- to 4-byte characters).
        #[test]
        fn matches_aho_corasick(
            patterns in prop::collection::vec("[ab不错退款😡é]{1,4}", 1..24),
            text in "[ab不错退款😡é x]{0,90}",
        ) {
            let kw = Keywords::new(&patterns).unwrap().unwrap();
            prop_assert_eq!(hits(&kw, &text), reference(&patterns, &text));
        }
    }
}
