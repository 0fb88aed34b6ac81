//! Stage 3: intent — keyword and regex rules fused with a trained linear model.
//!
//! - **Rules** (`rules v1`): keywords go into one leftmost-longest matcher
//!   ([`super::keywords`]: at one start the longest keyword wins, 退款到账 over 退款), regexes
//!   into [`super::regex_rules`] (each behind a character prefilter).
//!   Each hit adds its weight (log-odds) to its intent.
//! - **Model** (`intent_model v1`, written by [`crate::train`]): a linear model over hashed
//!   word and character n-gram features of the normalised text. Its per-intent scores are
//!   already divided by the temperature fitted on held-out folds of the training data, so they
//!   are calibrated log-odds.
//! - **Fusion**: model scores + rule log-odds -> softmax -> probabilities. A low top probability
//!   or a near tie gives `other`, with the alternatives kept.
//!
//! Features are hashed (FNV-1a over a type prefix and the feature's bytes) while they are
//! generated, so classifying a message allocates nothing: the model keeps one hash map from
//! feature hash to a sparse row of weights, and the per-call buffers live in [`IntentScratch`].

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use regex::RegexBuilder;

use crate::data::{Record, Source, records};
use crate::decision::{Evidence, EvidenceKind, IntentScore};
use crate::error::Error;
use crate::id::{IntentId, Label};
use crate::pipeline::catalog::Catalog;
use crate::pipeline::hidden::{HiddenLayer, HiddenScratch};
use crate::pipeline::keywords::Keywords;
use crate::pipeline::normalize::Normalizer;
use crate::pipeline::regex_rules::{Limits, RegexRules};

/// Thresholds of the intent stage (from `policy.tsv`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct IntentParams {
    /// Below this top probability the result is `other`.
    pub min_confidence: f32,
    /// Below this gap between the top two probabilities the result is `other`.
    pub min_margin: f32,
}

/// Per-call buffers, cleared and reused (no allocation once they have grown to size).
#[derive(Debug, Default, Clone)]
pub(crate) struct IntentScratch {
    /// Fused score (then probability) per catalogue intent.
    pub scores: Vec<f32>,
    /// Model score per model class.
    pub logits: Vec<f32>,
    /// Model rows matched by the message's features (for evidence).
    pub rows: Vec<u32>,
    /// The companion model's rows matched by the same features (see [`Hashed::companion`]).
    pub companion: Vec<u32>,
    /// Per model class: the summed weight of the learned rules that matched.
    pub rule_sums: Vec<f32>,
    /// The message's feature hashes under the model's [`FeatureSpec`], in
    /// [`FeatureSpec::for_each`] order (see [`IntentStage::features`]).
    pub hashes: Vec<u64>,
    /// Buffers of the model's hidden layer, if it has one.
    pub hidden: HiddenScratch,
    /// Per model row: its occurrences in the message being explained; all zeros between
    /// calls (grown to the largest model seen on this thread).
    pub counts: Vec<u32>,
    /// The same, one byte a row, for messages of at most 255 rows.
    pub counts8: Vec<u8>,
}

/// The feature hashes of one message and the spec they were computed with: the intent stage
/// computes them once, and the emotion model reads them instead of hashing the message again
/// when its spec is the same.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hashed<'a> {
    pub spec: FeatureSpec,
    pub hashes: &'a [u64],
    /// The emotion model's rows of the features found in it, one per occurrence, when the
    /// intent model's table was joined with the emotion model's ([`LinearModel::join`]):
    /// the emotion stage then looks nothing up.
    pub companion: Option<&'a [u32]>,
}

/// Most evidence items reported per message.
const MAX_EVIDENCE: usize = 6;

const RULES_FORMAT: &str = "rules v1";
pub(crate) const MODEL_FORMAT: &str = "intent_model v1";

/// Largest compiled regex (bytes) of one rule and of the whole set: a bad merchant rule fails
/// the build with [`Error::Regex`] instead of eating memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const REGEX_SET_SIZE_LIMIT: usize = 8 << 20;
/// The lazy DFA cache of the set: raised from regex's 2 MiB default so a few dozen rules over
/// Chinese text (large UTF-8 classes) stay on the fast path.
const REGEX_DFA_LIMIT: usize = 16 << 20;

// ---------------------------------------------------------------------------------------------
// Features

/// FNV-1a 64 over Unicode scalar values (one step per character, not per byte: a Chinese
/// character costs one multiply instead of three), fed piece by piece, so a feature is hashed
/// the same whether it is a `String` (the model file's keys, hashed when it loads) or a
/// sequence of slices and characters of the message (at inference). Only the engine's own
/// tables are keyed by it; files hold feature strings, never hashes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn str(&mut self, s: &str, fold_digits: bool) {
        for c in s.chars() {
            self.char(c, fold_digits);
        }
    }

    #[inline(always)]
    pub(crate) fn char(&mut self, c: char, fold_digits: bool) {
        let c = if fold_digits && c.is_ascii_digit() { '0' } else { c };
        self.0 ^= c as u64;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }

    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

/// Which features a model uses (the `@features` line of the model file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FeatureSpec {
    /// `w`: jieba words.
    pub words: bool,
    /// `wb`: adjacent word pairs.
    pub word_bigrams: bool,
    /// `c1`, `c2`, `c3`: character n-grams up to this length (0 = none).
    pub char_max: u8,
    /// `bounds`: `^` and `$` mark the message start and end in n-grams and word pairs.
    pub bounds: bool,
    /// `digits0`: every ASCII digit reads as `0` (order numbers, prices and heights share
    /// features whatever their value).
    pub fold_digits: bool,
    /// `sqrt`: feature values are 1/sqrt(number of features of the message), else 1.
    pub sqrt_scale: bool,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        // Words + character 1- and 2-grams: the best set in cross-validation on both the
        // bundled shop messages and JDDC (data/README.md); trigrams and word pairs added noise.
        FeatureSpec {
            words: true,
            word_bigrams: false,
            char_max: 2,
            bounds: false,
            fold_digits: false,
            sqrt_scale: true,
        }
    }
}

impl FeatureSpec {
    /// Parses a list like `w wb c3 bounds sqrt` (tabs, spaces or commas between).
    pub(crate) fn parse(s: &str) -> Result<FeatureSpec, String> {
        let mut f = FeatureSpec {
            words: false,
            word_bigrams: false,
            char_max: 0,
            bounds: false,
            fold_digits: false,
            sqrt_scale: false,
        };
        for t in s.split(['\t', ' ', ',']).filter(|t| !t.is_empty()) {
            match t {
                "w" => f.words = true,
                "wb" => f.word_bigrams = true,
                "c1" => f.char_max = f.char_max.max(1),
                "c2" => f.char_max = f.char_max.max(2),
                "c3" => f.char_max = f.char_max.max(3),
                "bounds" => f.bounds = true,
                "digits0" => f.fold_digits = true,
                "sqrt" => f.sqrt_scale = true,
                _ => {
                    return Err(format!(
                        "unknown feature kind `{t}`; use w, wb, c1, c2, c3, bounds, digits0, sqrt"
                    ));
                }
            }
        }
        Ok(f)
    }

    /// The inverse of [`FeatureSpec::parse`].
    pub(crate) fn to_line(self) -> String {
        let mut v: Vec<&str> = Vec::new();
        if self.words {
            v.push("w");
        }
        if self.word_bigrams {
            v.push("wb");
        }
        for (n, name) in [(1, "c1"), (2, "c2"), (3, "c3")] {
            if self.char_max >= n {
                v.push(name);
            }
        }
        if self.bounds {
            v.push("bounds");
        }
        if self.fold_digits {
            v.push("digits0");
        }
        if self.sqrt_scale {
            v.push("sqrt");
        }
        v.join("\t")
    }

    /// Calls `f(prefix, pieces)` for every feature occurrence of `text`; the feature's string is
    /// `prefix` followed by the pieces (digits folded when `fold_digits`). Whitespace is skipped.
    pub(crate) fn for_each(
        &self,
        text: &str,
        tokens: &[Range<u32>],
        f: &mut impl FnMut(&'static str, &[&str]),
    ) {
        const BEGIN: &str = "^";
        const END: &str = "$";
        // Words and word pairs.
        if self.words || self.word_bigrams {
            let mut prev: Option<&str> = self.bounds.then_some(BEGIN);
            for t in tokens {
                let Some(w) = text.get(t.start as usize..t.end as usize) else { continue };
                if w.chars().all(super::is_space) {
                    continue;
                }
                if self.words {
                    f("w:", &[w]);
                }
                if self.word_bigrams
                    && let Some(p) = prev
                {
                    f("wb:", &[p, "|", w]);
                }
                prev = Some(w);
            }
            if self.word_bigrams
                && self.bounds
                && let Some(p) = prev
                && p != BEGIN
            {
                f("wb:", &[p, "|", END]);
            }
        }
        // Character n-grams over the non-space characters, with optional `^` / `$` markers.
        if self.char_max == 0 {
            return;
        }
        const PREFIX: [&str; 3] = ["c1:", "c2:", "c3:"];
        let n_max = self.char_max.min(3) as usize;
        let mut win: [&str; 3] = [""; 3];
        let mut markers = [false; 3];
        let mut seen = 0usize;
        let mut any = false;
        let chars = text
            .char_indices()
            .filter(|&(_, c)| !super::is_space(c))
            .map(|(i, c)| (&text[i..i + c.len_utf8()], false));
        let begin = self.bounds.then_some((BEGIN, true));
        let end_marker = self.bounds.then_some((END, true));
        let mut all = begin.into_iter().chain(chars);
        let mut tail = end_marker;
        loop {
            let (piece, marker) = match all.next() {
                Some(x) => x,
                None => match tail.take() {
                    Some(x) if any => x,
                    _ => break,
                },
            };
            any |= !marker;
            win.rotate_left(1);
            markers.rotate_left(1);
            win[2] = piece;
            markers[2] = marker;
            seen += 1;
            for n in 1..=n_max.min(seen) {
                let from = 3 - n;
                if markers[from..].iter().all(|&m| m) {
                    continue;
                }
                f(PREFIX[n - 1], &win[from..]);
            }
        }
    }
}

impl FeatureSpec {
    /// Whether [`FeatureSpec::hashes`] has a one-pass path for this spec: words and character
    /// 1- and 2-grams, without markers or word pairs (the default spec).
    fn one_pass(&self) -> bool {
        !self.bounds && !self.word_bigrams && self.char_max <= 2
    }

    /// Writes into `out` the hash ([`feature_hash`]) of every feature occurrence of `text`, in
    /// [`FeatureSpec::for_each`] order. The default spec takes one pass over the text with
    /// each n-gram's prefix hashed once, instead of slicing windows (a test checks the two
    /// agree for every spec).
    pub(crate) fn hashes(&self, text: &str, tokens: &[Range<u32>], out: &mut Vec<u64>) {
        out.clear();
        self.for_each_hash(text, tokens, &mut |h| out.push(h));
    }

    /// Calls `emit` with the hash of every feature occurrence of `text`, as
    /// [`FeatureSpec::hashes`] lists them (no allocation).
    pub(crate) fn for_each_hash(
        &self,
        text: &str,
        tokens: &[Range<u32>],
        emit: &mut impl FnMut(u64),
    ) {
        let fold = self.fold_digits;
        if !self.one_pass() {
            self.for_each(text, tokens, &mut |prefix, pieces| {
                emit(feature_hash(prefix, pieces, fold));
            });
            return;
        }
        let start = |prefix: &str| {
            let mut h = Fnv::new();
            h.str(prefix, false);
            h
        };
        if self.words {
            let w0 = start("w:");
            for t in tokens {
                let Some(w) = text.get(t.start as usize..t.end as usize) else { continue };
                if w.chars().all(super::is_space) {
                    continue;
                }
                let mut h = w0;
                h.str(w, fold);
                emit(h.finish());
            }
        }
        if self.char_max == 0 {
            return;
        }
        let (c1, c2) = (start("c1:"), start("c2:"));
        let mut prev: Option<char> = None;
        for c in text.chars() {
            if super::is_space(c) {
                continue;
            }
            let mut h = c1;
            h.char(c, fold);
            emit(h.finish());
            if self.char_max >= 2
                && let Some(p) = prev
            {
                let mut h = c2;
                h.char(p, fold);
                h.char(c, fold);
                emit(h.finish());
            }
            prev = Some(c);
        }
    }
}

/// Prefix of the rule features `r:INTENT` of a model trained with rules.
pub(crate) const RULE_PREFIX: &str = "r:";

/// The feature string of `prefix` + `pieces`, as written in the model file.
pub(crate) fn feature_string(prefix: &str, pieces: &[&str], fold_digits: bool, out: &mut String) {
    out.clear();
    out.push_str(prefix);
    for p in pieces {
        if fold_digits {
            out.extend(p.chars().map(|c| if c.is_ascii_digit() { '0' } else { c }));
        } else {
            out.push_str(p);
        }
    }
}

/// The hash of `prefix` + `pieces`: equal to [`hash_str`] of [`feature_string`].
pub(crate) fn feature_hash(prefix: &str, pieces: &[&str], fold_digits: bool) -> u64 {
    let mut h = Fnv::new();
    h.str(prefix, false);
    for p in pieces {
        h.str(p, fold_digits);
    }
    h.finish()
}

pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h = Fnv::new();
    h.str(s, false);
    h.finish()
}

/// The keys are FNV hashes already: hashing them again would only cost time.
#[derive(Debug, Default, Clone, Copy)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

// ---------------------------------------------------------------------------------------------
// Model

/// Feature hash -> row, as an open-addressing table (linear probing, at most 3/4 full) of
/// `(high 32 bits of the hash) << 32 | (row + 1)`, 0 for an empty slot.
pub(crate) fn build_table(entries: impl ExactSizeIterator<Item = (u64, u32)>) -> Vec<u64> {
    let cap = (entries.len() * 4 / 3 + 1).next_power_of_two().max(16);
    fill_table(entries, cap)
}

/// [`build_table`] at most 1/4 full (1/7.5 for the default model: 17,505 rows in 131,072
/// slots, 1 MiB), for [`probe_first`]: a lookup is decided by the feature's first slot (it
/// holds the feature, or is empty) for all but about one feature in eight.
pub(crate) fn build_sparse_table(entries: impl ExactSizeIterator<Item = (u64, u32)>) -> Vec<u64> {
    let cap = (entries.len() * 4).next_power_of_two().max(16);
    fill_table(entries, cap)
}

fn fill_table(entries: impl ExactSizeIterator<Item = (u64, u32)>, cap: usize) -> Vec<u64> {
    fill_raw(entries.map(|(h, row)| (h, row.wrapping_add(1))), cap)
}

/// A table of `cap` slots (a power of two) holding `(high 32 bits of h) << 32 | low` for
/// each `(h, low)`, `low` never 0; [`probe_raw`] finds `low` again.
fn fill_raw(entries: impl Iterator<Item = (u64, u32)>, cap: usize) -> Vec<u64> {
    let mut table = vec![0; cap];
    for (h, low) in entries {
        let mut i = h as usize & (cap - 1);
        while table[i] != 0 {
            i = (i + 1) & (cap - 1);
        }
        table[i] = (h >> 32) << 32 | u64::from(low);
    }
    table
}

/// Puts `row` under `h` into a table of [`fill_table`]'s layout, unless the slots it probes
/// already hold the same high 32 bits of a hash (then returns false: a feature listed
/// twice, or, about once in four billion, two features a lookup could not tell apart).
/// The table must keep at least one empty slot.
pub(crate) fn insert(table: &mut [u64], h: u64, row: u32) -> bool {
    let Some(mask) = table.len().checked_sub(1) else { return false };
    let mut i = h as usize & mask;
    loop {
        let e = table[i];
        if e == 0 {
            table[i] = (h >> 32) << 32 | u64::from(row.wrapping_add(1));
            return true;
        }
        if e >> 32 == h >> 32 {
            return false;
        }
        i = (i + 1) & mask;
    }
}

/// Requests the first slot each of `hashes` probes in a [`fill_raw`] table, so that the
/// cache misses of the lookups that follow overlap (a hint: see [`super::prefetch`]).
#[inline]
pub(crate) fn prefetch_slots(table: &[u64], hashes: &[u64]) {
    let Some(mask) = table.len().checked_sub(1) else { return };
    for &h in hashes {
        if let Some(e) = table.get(h as usize & mask) {
            super::prefetch(e);
        }
    }
}

/// The row of the feature whose hash is `h` in a [`build_table`] table.
#[inline]
pub(crate) fn probe(table: &[u64], h: u64) -> Option<u32> {
    let mask = table.len().checked_sub(1)?;
    let tag = h >> 32;
    let mut i = h as usize & mask;
    loop {
        let e = *table.get(i)?;
        if e == 0 {
            return None;
        }
        if e >> 32 == tag {
            return Some((e as u32).wrapping_sub(1));
        }
        i = (i + 1) & mask;
    }
}

/// [`probe`], as `u32::MAX` for "absent", with no branch on the answer when the first slot
/// decides (it holds the tag, or is empty): whether a feature is in the model is close to a
/// coin toss, so a branch on it is often mispredicted. Other first slots take the loop.
#[inline(always)]
pub(crate) fn probe_first(table: &[u64], h: u64) -> u32 {
    probe_raw(table, h).wrapping_sub(1)
}

/// The low 32 bits of the entry of `h` in a [`fill_raw`] table, 0 when it has none; with no
/// branch on the answer when the first slot decides (see [`probe_first`]).
#[inline(always)]
pub(crate) fn probe_raw(table: &[u64], h: u64) -> u32 {
    let Some(mask) = table.len().checked_sub(1) else { return 0 };
    let Some(&e) = table.get(h as usize & mask) else { return 0 };
    let hit = e != 0 && e >> 32 == h >> 32;
    if !hit && e != 0 {
        return probe(table, h).map_or(0, |row| row.wrapping_add(1));
    }
    if hit { e as u32 } else { 0 }
}

/// A parsed `intent_model v1`: sparse per-feature weights over the model's own classes,
/// already divided by the temperature.
#[derive(Debug, Clone)]
pub(crate) struct LinearModel {
    /// Class names, in the order of the `@intents` line.
    pub labels: Vec<String>,
    /// Line of the `@intents` record (for errors).
    pub labels_line: usize,
    pub spec: FeatureSpec,
    /// Temperature the file's weights were divided by.
    pub temperature: f32,
    bias: Vec<f32>,
    index: HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>,
    /// Per row: range into `entries`.
    rows: Vec<(u32, u32)>,
    entries: Vec<(u16, f32)>,
    /// Per row: the feature's text as evidence shows it (made once here, not per message).
    names: Vec<Label>,
    /// Ids of the rules the model was trained with (the `@rules` lines).
    rule_ids: HashSet<String>,
    /// Per class: the row of its rule feature `r:CLASS`, if the model has one.
    rule_rows: Vec<Option<u32>>,
    /// Feature hash -> row, as an open-addressing table (linear probing, at most 1/4 full:
    /// [`build_sparse_table`]) of `(high 32 bits of the hash) << 32 | (row + 1)`, 0 for an
    /// empty slot: one compact array (8 bytes a slot), where a general hash map touches more
    /// memory, and sparse enough that [`probe_first`] rarely needs a second slot.
    table: Vec<u64>,
    /// The feature hash of each row, until [`LinearModel::join`] has used them.
    row_hashes: Vec<u64>,
    /// Bits of a table entry's low half that hold `row + 1`: 32, or fewer when the table was
    /// joined with a companion model's and the bits above hold the companion's `row + 1`.
    row_bits: u32,
    /// The weights as a dense `rows x stride` matrix of `i8`, each row scaled by its own
    /// factor in `qscale` (largest magnitude -> 127): a row is `stride` contiguous bytes
    /// (the classes, then zeros up to a multiple of [`LANES`]; 24 bytes for the 21 default
    /// intents). Used when it takes at most [`DENSE_LIMIT`] bytes; larger models
    /// keep only the sparse `f32` entries.
    qw: Vec<i8>,
    qscale: Vec<f32>,
    /// Row length of `qw`: the number of classes rounded up to a multiple of [`LANES`], so
    /// the accumulation runs in whole vector-width chunks with no scalar tail.
    stride: usize,
    /// The optional hidden layer (`@hidden` and the lines after it), mixed into the scores.
    hidden: Option<HiddenLayer>,
}

/// Chunk width of the dense accumulation (two SSE registers of `f32`).
const LANES: usize = 8;

/// Largest dense weight matrix (bytes; 64 MiB).
const DENSE_LIMIT: usize = 1 << 26;

/// Per-class sums of [`LinearModel::add_rows_fixed`], aligned so that no 32-byte lane
/// crosses a cache line.
#[repr(C, align(32))]
struct Lanes<const S: usize>([f32; S]);

impl LinearModel {
    /// Parses a model text (columns are tab-separated; shown here with `→`):
    ///
    /// ```text
    /// #format intent_model v1
    /// @intents → greeting → refund_request → …
    /// @features → w → wb → c1 → c2 → c3 → bounds → sqrt
    /// @temperature → 0.8
    /// @bias → 0.1 → -0.3 → …                    (one per intent)
    /// w:退款 → refund_request:2.31 → cancel_order:-0.42
    /// ```
    pub(crate) fn parse(src: Source<'_>) -> Result<LinearModel, Error> {
        let mut m = LinearModel {
            labels: Vec::new(),
            labels_line: 0,
            spec: FeatureSpec::default(),
            temperature: 1.0,
            bias: Vec::new(),
            index: HashMap::default(),
            rows: Vec::new(),
            entries: Vec::new(),
            names: Vec::new(),
            rule_ids: HashSet::new(),
            rule_rows: Vec::new(),
            table: Vec::new(),
            row_hashes: Vec::new(),
            row_bits: 32,
            qw: Vec::new(),
            qscale: Vec::new(),
            stride: 0,
            hidden: None,
        };
        let mut by_name: HashMap<&str, u16> = HashMap::new();
        let mut spec_seen = false;
        for r in records(src, MODEL_FORMAT)? {
            let mut cols = r.text.split('\t');
            let key = cols.next().unwrap_or("");
            match key {
                "@intents" => {
                    if !m.labels.is_empty() {
                        return Err(r.error("a second `@intents` line; keep one"));
                    }
                    for l in cols.map(str::trim).filter(|l| !l.is_empty()) {
                        if by_name.contains_key(l) {
                            return Err(Error::Duplicate {
                                file: r.file.into(),
                                line: r.line,
                                id: l.into(),
                            });
                        }
                        if m.labels.len() >= u16::MAX as usize {
                            return Err(Error::TooLarge {
                                file: r.file.into(),
                                what: "the number of model intents".into(),
                                limit: u16::MAX as usize,
                            });
                        }
                        by_name.insert(l, m.labels.len() as u16);
                        m.labels.push(l.to_owned());
                    }
                    m.labels_line = r.line;
                    m.bias = vec![0.0; m.labels.len()];
                }
                "@features" => {
                    let rest = r.text.split_once('\t').map_or("", |x| x.1);
                    m.spec = FeatureSpec::parse(rest).map_err(|e| r.error(e))?;
                    spec_seen = true;
                }
                "@rules" => {
                    m.rule_ids
                        .extend(cols.map(str::trim).filter(|c| !c.is_empty()).map(Into::into));
                }
                "@temperature" => {
                    let t: f32 = r.num("temperature", cols.next().unwrap_or(""))?;
                    if !(t.is_finite() && t > 0.0) {
                        return Err(r.error("`temperature` must be a positive number"));
                    }
                    m.temperature = t;
                }
                "@bias" => {
                    if m.labels.is_empty() {
                        return Err(r.error("`@bias` before `@intents`; list the intents first"));
                    }
                    let vals: Vec<&str> = cols.collect();
                    if vals.len() != m.labels.len() {
                        return Err(r.error(format!(
                            "`@bias` has {} values for {} intents",
                            vals.len(),
                            m.labels.len()
                        )));
                    }
                    for (b, v) in m.bias.iter_mut().zip(vals) {
                        *b = r.num("bias", v)?;
                    }
                }
                "@hidden" => {
                    if m.labels.is_empty() {
                        return Err(r.error("`@hidden` before `@intents`; list the intents first"));
                    }
                    if m.hidden.is_some() {
                        return Err(r.error("a second `@hidden` line; keep one"));
                    }
                    m.hidden = Some(HiddenLayer::declare(&r, m.labels.len())?);
                }
                "@hidden_bias" | "@output" | "@output_bias" | "@input" => {
                    let h = m.hidden.as_mut().ok_or_else(|| {
                        r.error(format!("`{key}` before `@hidden`; declare the layer first"))
                    })?;
                    h.line(&r, key, |name| by_name.get(name).copied())?;
                }
                k if k.starts_with('@') => {
                    return Err(r.error(format!(
                        "unknown directive `{k}`; expected @intents, @features, @rules, @temperature, @bias or a hidden-layer line (@hidden, @hidden_bias, @output, @output_bias, @input)"
                    )));
                }
                feature => {
                    if m.labels.is_empty() {
                        return Err(
                            r.error("a feature line before `@intents`; list the intents first")
                        );
                    }
                    let h = hash_str(feature);
                    let row = m.rows.len() as u32;
                    if m.index.insert(h, row).is_some() {
                        return Err(Error::Duplicate {
                            file: r.file.into(),
                            line: r.line,
                            id: feature.into(),
                        });
                    }
                    let start = m.entries.len() as u32;
                    for c in cols.filter(|c| !c.trim().is_empty()) {
                        let (name, w) = c
                            .rsplit_once(':')
                            .ok_or_else(|| r.error(format!("`{c}` is not `intent:weight`")))?;
                        let k = *by_name.get(name.trim()).ok_or_else(|| {
                            r.error(format!("intent `{name}` is not listed on the `@intents` line"))
                        })?;
                        let w: f32 = r.num("weight", w)?;
                        if !w.is_finite() {
                            return Err(r.error("weights must be finite"));
                        }
                        m.entries.push((k, w));
                    }
                    m.names.push(Label::truncated(feature));
                    m.rows.push((start, m.entries.len() as u32));
                }
            }
        }
        if m.labels.is_empty() {
            return Err(Error::parse(src.0, 1, "no `@intents` line; the model names no intent"));
        }
        if !spec_seen {
            return Err(Error::parse(src.0, 1, "no `@features` line; re-export the model"));
        }
        if let Some(h) = &mut m.hidden {
            h.finish(src.0, &m.labels)?;
        }
        // Divide once here so scores come out in calibrated log-odds (times `1 - MIX` when a
        // hidden layer is mixed in).
        let inv = m.hidden.as_ref().map_or(1.0, HiddenLayer::linear_factor) / m.temperature;
        m.bias.iter_mut().for_each(|b| *b *= inv);
        m.entries.iter_mut().for_each(|e| e.1 *= inv);
        m.rule_rows = m
            .labels
            .iter()
            .map(|l| m.index.get(&feature_hash(RULE_PREFIX, &[l], false)).copied())
            .collect();
        let stride = m.labels.len().div_ceil(LANES) * LANES;
        if m.rows.len().saturating_mul(stride) <= DENSE_LIMIT {
            m.stride = stride;
            m.qw = vec![0; m.rows.len() * stride];
            m.qscale = vec![0.0; m.rows.len()];
            for (r, &(a, b)) in m.rows.iter().enumerate() {
                let row = &m.entries[a as usize..b as usize];
                let max = row.iter().fold(0.0f32, |x, e| x.max(e.1.abs()));
                let q = if max > 0.0 { max / 127.0 } else { 1.0 };
                m.qscale[r] = q;
                for &(c, w) in row {
                    m.qw[r * stride + c as usize] = (w / q).round().clamp(-127.0, 127.0) as i8;
                }
            }
        }
        m.table = build_sparse_table(m.index.iter().map(|(&h, &row)| (h, row)));
        m.row_hashes = vec![0; m.rows.len()];
        for (&h, &row) in &m.index {
            if let Some(x) = m.row_hashes.get_mut(row as usize) {
                *x = h;
            }
        }
        m.index = HashMap::default();
        Ok(m)
    }

    /// Rebuilds the table so that one lookup also finds the row of a companion model over the
    /// same features (`companion[row]` is the hash of that model's `row`): each entry keeps
    /// this model's `row + 1` in its low `row_bits` bits and the companion's above them, and
    /// [`LinearModel::score_hashes`] lists the companion's rows as it goes. Returns false and
    /// changes nothing when the two row counts do not fit in 32 bits together.
    pub(crate) fn join(&mut self, companion: &[u64]) -> bool {
        let bits = |rows: usize| usize::BITS - rows.leading_zeros();
        let (own, other) = (bits(self.rows.len()), bits(companion.len()));
        if own + other > 32 || companion.is_empty() {
            return false;
        }
        let mut low: HashMap<u64, u32, BuildHasherDefault<IdentityHasher>> = HashMap::default();
        for (row, &h) in self.row_hashes.iter().enumerate() {
            low.insert(h, row as u32 + 1);
        }
        for (row, &h) in companion.iter().enumerate() {
            *low.entry(h).or_insert(0) |= (row as u32 + 1) << own;
        }
        let mut entries: Vec<(u64, u32)> = low.into_iter().collect();
        // Insertion order decides probe sequences only; sorting keeps the table reproducible.
        entries.sort_unstable();
        let cap = (entries.len() * 4).next_power_of_two().max(16);
        self.table = fill_raw(entries.into_iter(), cap);
        self.row_bits = own;
        // Only a join reads them, and a table is joined once.
        self.row_hashes = Vec::new();
        true
    }

    /// Whether [`LinearModel::join`] joined a companion.
    pub(crate) fn joined(&self) -> bool {
        self.row_bits < 32
    }

    /// Number of classes.
    pub(crate) fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the model was trained with the rule `id` as evidence (its `@rules` lines).
    pub(crate) fn trained_with(&self, id: &str) -> bool {
        self.rule_ids.contains(id)
    }

    /// The weight of class `k`'s rule feature for class `c` (0 when absent).
    pub(crate) fn rule_weight(&self, k: u16, c: u16) -> f32 {
        self.rule_rows.get(k as usize).copied().flatten().map_or(0.0, |r| self.weight(r, c))
    }

    /// Writes calibrated scores into `logits` (one per class) and the matched rows into `rows`;
    /// returns the feature value (the scale every weight was multiplied by). `rule_sums` holds,
    /// per class, the summed weight of the learned rules that matched (empty: none).
    pub(crate) fn score(
        &self,
        text: &str,
        tokens: &[Range<u32>],
        rule_sums: &[f32],
        logits: &mut Vec<f32>,
        rows: &mut Vec<u32>,
    ) -> f32 {
        let mut hashes = Vec::new();
        self.spec.hashes(text, tokens, &mut hashes);
        let (mut companion, mut hidden) = (Vec::new(), HiddenScratch::default());
        self.score_hashes(&hashes, rule_sums, logits, rows, &mut companion, &mut hidden)
    }

    /// [`LinearModel::score`] of a message whose feature hashes under [`LinearModel::spec`]
    /// ([`FeatureSpec::hashes`]) are `hashes`.
    pub(crate) fn score_hashes(
        &self,
        hashes: &[u64],
        rule_sums: &[f32],
        logits: &mut Vec<f32>,
        rows: &mut Vec<u32>,
        companion: &mut Vec<u32>,
        hidden: &mut HiddenScratch,
    ) -> f32 {
        logits.clear();
        logits.extend_from_slice(&self.bias);
        // The dense rows are accumulated `stride` classes wide (the padding adds zeros) and
        // the padding cut off at the end, so every class sums the same terms in the same order.
        logits.resize(self.stride.max(self.labels.len()), 0.0);
        rows.clear();
        // Every probe's first slot is requested before any is read, so the misses overlap.
        prefetch_slots(&self.table, hashes);
        // Every hash writes its row in the next place, and only a hit moves the end on: no
        // branch on whether the feature is in the model.
        // The companion's rows come from the bits above `row_bits` of the same entry (none
        // when the table is not joined: `row_bits` is 32).
        rows.resize(hashes.len(), 0);
        companion.clear();
        companion.resize(hashes.len(), 0);
        let own = self.row_bits;
        let mask = ((1u64 << own) - 1) as u32;
        let (mut n, mut k) = (0, 0);
        for &h in hashes {
            let low = probe_raw(&self.table, h);
            let row = (low & mask).wrapping_sub(1);
            let other = ((u64::from(low) >> own) as u32).wrapping_sub(1);
            if let Some(r) = rows.get_mut(n) {
                *r = row;
            }
            n += usize::from(row != u32::MAX);
            if let Some(r) = companion.get_mut(k) {
                *r = other;
            }
            k += usize::from(other != u32::MAX);
        }
        rows.truncate(n);
        companion.truncate(k);
        // The same for the weight rows, their scales and their evidence labels (six of the
        // labels will be read): all are requested before the first row is added.
        for &row in rows.iter() {
            if let Some(w) = self.qw.get(row as usize * self.stride) {
                super::prefetch(w);
            }
            // The row's scale lives in an array of its own: a second line to request.
            if let Some(q) = self.qscale.get(row as usize) {
                super::prefetch(q);
            }
            if let Some(l) = self.names.get(row as usize) {
                super::prefetch(l);
            }
        }
        let n = hashes.len();
        let scale = if self.spec.sqrt_scale && n > 0 { 1.0 / (n as f32).sqrt() } else { 1.0 };
        self.add_rows(rows, scale, logits);
        for (&sum, row) in rule_sums.iter().zip(&self.rule_rows) {
            if let (Some(row), true) = (row, sum != 0.0) {
                self.add_row(*row, rule_value(sum), logits);
            }
        }
        if let Some(h) = &self.hidden {
            h.add(hashes, hidden, logits);
        }
        logits.truncate(self.labels.len());
        scale
    }

    /// The number of feature rows.
    pub(crate) fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// [`LinearModel::add_row`] for every row of `rows`, each with the value `scale`. The
    /// default model's rows (24 classes wide) are summed in registers: the same additions in
    /// the same order, without storing and reloading the scores after every row.
    fn add_rows(&self, rows: &[u32], scale: f32, logits: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if self.stride == 24 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2 (checked just above), the only feature the
            // function is compiled for.
            return unsafe { self.add_rows_avx2(rows, scale, logits) };
        }
        match self.stride {
            8 => self.add_rows_fixed::<8>(rows, scale, logits),
            16 => self.add_rows_fixed::<16>(rows, scale, logits),
            24 => self.add_rows_fixed::<24>(rows, scale, logits),
            32 => self.add_rows_fixed::<32>(rows, scale, logits),
            _ => rows.iter().for_each(|&row| self.add_row(row, scale, logits)),
        }
    }

    /// [`LinearModel::add_rows_fixed`] for the default width, compiled for AVX2: each chunk
    /// of eight weights is widened in one instruction instead of four. The arithmetic is the
    /// same (no fused multiply-add), so the scores are bit for bit those of the SSE2 code.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn add_rows_avx2(&self, rows: &[u32], scale: f32, logits: &mut [f32]) {
        self.add_rows_fixed::<24>(rows, scale, logits);
    }

    #[inline(always)]
    fn add_rows_fixed<const S: usize>(&self, rows: &[u32], scale: f32, logits: &mut [f32]) {
        let Some(out) = logits.get_mut(..S) else {
            return rows.iter().for_each(|&row| self.add_row(row, scale, logits));
        };
        // Aligned to 32 bytes: when the sums do not stay in registers, each 8-lane store and
        // the next row's load of it lie within one cache line. Unaligned, the sums sat
        // wherever the thread's stack put them, and on threads where a store straddled two
        // lines every row waited for it (this function took 9.5 % of a worker thread's time
        // against 2 % of the main thread's).
        let mut acc = Lanes([0.0f32; S]);
        let acc = &mut acc.0;
        acc.copy_from_slice(out);
        for &row in rows {
            let r = row as usize;
            let (Some(d), Some(&q)) = (self.qw.get(r * S..(r + 1) * S), self.qscale.get(r)) else {
                // Not in the dense matrix (never for a row of the table): its sparse weights.
                self.add_sparse(r, scale, acc);
                continue;
            };
            let v = scale * q;
            acc.iter_mut().zip(d).for_each(|(l, &w)| *l += w as f32 * v);
        }
        out.copy_from_slice(acc);
    }

    /// `logits += value * weights of row`; `logits` holds at least `stride` entries.
    #[inline(always)]
    fn add_row(&self, row: u32, value: f32, logits: &mut [f32]) {
        let (r, s) = (row as usize, self.stride);
        if let (Some(d), Some(&q)) = (self.qw.get(r * s..(r + 1) * s), self.qscale.get(r)) {
            let v = value * q;
            // The vectorised loop covers the whole row: its length is a multiple of the width.
            logits.iter_mut().zip(d).for_each(|(l, &w)| *l += w as f32 * v);
        } else {
            self.add_sparse(r, value, logits);
        }
    }

    /// `out += value * the sparse weights of row r`.
    #[inline]
    fn add_sparse(&self, r: usize, value: f32, out: &mut [f32]) {
        let (a, b) = self.rows.get(r).copied().unwrap_or((0, 0));
        for &(c, w) in self.entries.get(a as usize..b as usize).unwrap_or_default() {
            if let Some(l) = out.get_mut(usize::from(c)) {
                *l += w * value;
            }
        }
    }

    /// The weight of `row` for class `k`.
    pub(crate) fn weight(&self, row: u32, k: u16) -> f32 {
        if let (Some(&w), Some(&q)) =
            (self.qw.get(row as usize * self.stride + k as usize), self.qscale.get(row as usize))
        {
            return w as f32 * q;
        }
        let (a, b) = self.rows[row as usize];
        self.entries[a as usize..b as usize].iter().find(|e| e.0 == k).map_or(0.0, |e| e.1)
    }

    fn name(&self, row: u32) -> Label {
        self.names.get(row as usize).copied().unwrap_or(Label::EMPTY)
    }
}

// ---------------------------------------------------------------------------------------------
// Rules

/// A rule hit's sum of weights for one intent becomes the value of that intent's rule feature
/// `r:INTENT` in a model trained with rules: `clamp(sum, -RULE_CAP, RULE_CAP) / RULE_SCALE`.
/// The cap keeps a message that repeats a keyword ten times from counting ten times as much.
pub(crate) const RULE_CAP: f32 = 10.0;
/// See [`RULE_CAP`]: a weight-5 rule gives the value 1.
pub(crate) const RULE_SCALE: f32 = 5.0;

/// Rules of at least this weight (in magnitude) decide on their own (投诉, 12315: TAXONOMY.md
/// says complaint wins over the intent it complains about). The trainer leaves them out of
/// the rule features, so the engine adds their weight as plain log-odds after the model.
pub(crate) const RULE_DECISIVE: f32 = 10.0;

/// The value of a rule feature whose rules' weights sum to `sum`.
pub(crate) fn rule_value(sum: f32) -> f32 {
    sum.clamp(-RULE_CAP, RULE_CAP) / RULE_SCALE
}

/// One compiled rule: what it speaks for, its weight and its id.
#[derive(Debug, Clone)]
pub(crate) struct Rule<T> {
    pub target: T,
    pub weight: f32,
    pub id: Label,
    pub kind: EvidenceKind,
}

/// Keyword and regex rules compiled into one automaton and one `RegexSet`. The engine and the
/// trainer share it, so training sees exactly the rule hits the engine will see.
#[derive(Debug, Clone)]
pub(crate) struct RuleMatcher<T> {
    keywords: Option<Keywords>,
    /// Per distinct keyword pattern: every rule spelled that way (a merchant rule may repeat a
    /// default keyword for another intent; the matcher reports one pattern per match, so
    /// identical keywords share one pattern and all their rules fire): the rules of pattern
    /// `p` are `kw_rules[kw_start[p]..kw_start[p + 1]]`, one flat array, so a hit reads no
    /// per-pattern heap block.
    kw_start: Vec<u32>,
    kw_rules: Vec<u32>,
    regexes: Option<RegexRules>,
    /// Per regex pattern: its rule.
    rx: Vec<u32>,
    pub rules: Vec<Rule<T>>,
}

impl<T> RuleMatcher<T> {
    /// Compiles `rules v1` texts. `target(record, id, intent, weight)` resolves a rule's
    /// intent; `None` skips the rule (the trainer skips rules for intents it has no examples
    /// of, and decisive rules).
    pub(crate) fn build(
        normalizer: &Normalizer,
        rules: &[Source<'_>],
        mut target: impl FnMut(&Record<'_>, &str, &str, f32) -> Result<Option<T>, Error>,
    ) -> Result<RuleMatcher<T>, Error> {
        // Keywords must be spelled as the normalised text is (simplified, half-width, lower
        // case, folded runs), so they go through the same normaliser.
        let mut norm = String::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut kw: Vec<Vec<u32>> = Vec::new();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut rx_patterns: Vec<String> = Vec::new();
        let mut rx = Vec::new();
        let mut out: Vec<Rule<T>> = Vec::new();
        for &src in rules {
            for r in records(src, RULES_FORMAT)? {
                let [id, intent, kind, pattern, weight] =
                    r.cols::<5>("id, intent, kind, pattern, weight")?;
                let w: f32 = r.num("weight", weight)?;
                if !w.is_finite() {
                    return Err(r.error("`weight` must be finite"));
                }
                let t = target(&r, id, intent, w)?;
                if pattern.is_empty() {
                    return Err(r.error(format!("rule `{id}` has an empty pattern")));
                }
                let kind = match kind {
                    "keyword" => EvidenceKind::Keyword,
                    "regex" => {
                        // Compile alone first so a bad rule is named with its file and line.
                        RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build().map_err(
                            |source| Error::Regex {
                                file: r.file.into(),
                                line: r.line,
                                rule: id.into(),
                                source,
                            },
                        )?;
                        EvidenceKind::Regex
                    }
                    k => {
                        return Err(
                            r.error(format!("rule kind `{k}` is not one of keyword, regex"))
                        );
                    }
                };
                let Some(t) = t else { continue };
                let ix = out.len() as u32;
                out.push(Rule { target: t, weight: w, id: Label::truncated(id), kind });
                if kind == EvidenceKind::Keyword {
                    normalizer.run(pattern, &mut norm);
                    let p = if norm.trim().is_empty() { pattern } else { norm.as_str() };
                    let k = *pattern_ids.entry(p.to_owned()).or_insert_with(|| {
                        patterns.push(p.to_owned());
                        kw.push(Vec::new());
                        patterns.len() - 1
                    });
                    kw[k].push(ix);
                } else {
                    rx_patterns.push(pattern.to_owned());
                    rx.push(ix);
                }
            }
        }
        let keywords = Keywords::new(&patterns)?;
        let regexes = if rx_patterns.is_empty() {
            None
        } else {
            let limits = Limits {
                size: REGEX_SIZE_LIMIT,
                set_size: REGEX_SET_SIZE_LIMIT,
                dfa_size: REGEX_DFA_LIMIT,
            };
            Some(RegexRules::new(&rx_patterns, limits).map_err(|source| Error::Regex {
                file: "rules".into(),
                line: 0,
                rule: "(the whole regex set)".into(),
                source,
            })?)
        };
        let mut kw_start = Vec::with_capacity(kw.len() + 1);
        let mut kw_rules = Vec::new();
        for rules in &kw {
            kw_start.push(kw_rules.len() as u32);
            kw_rules.extend_from_slice(rules);
        }
        kw_start.push(kw_rules.len() as u32);
        Ok(RuleMatcher { keywords, kw_start, kw_rules, regexes, rx, rules: out })
    }

    /// Calls `f` for every rule that matches the normalised `text` (a keyword once per match).
    pub(crate) fn for_each_hit(&self, text: &str, mut f: impl FnMut(&Rule<T>)) {
        if let Some(ac) = &self.keywords {
            for m in ac.find_iter(text) {
                let (Some(&a), Some(&b)) =
                    (self.kw_start.get(m.pattern), self.kw_start.get(m.pattern + 1))
                else {
                    continue;
                };
                for &i in self.kw_rules.get(a as usize..b as usize).unwrap_or_default() {
                    if let Some(r) = self.rules.get(i as usize) {
                        f(r);
                    }
                }
            }
        }
        if let Some(set) = &self.regexes {
            set.for_each_match(text, |i| f(&self.rules[self.rx[i] as usize]));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Stage

/// Where a rule's weight goes in the engine.
#[derive(Debug, Clone, Copy)]
struct RuleTarget {
    intent: IntentId,
    /// The model class whose rule feature `r:INTENT` this rule feeds, when the model was
    /// trained with this rule (its id is on the model's `@rules` line); else the weight is
    /// added to the intent's score as log-odds.
    learned: Option<u16>,
    /// What the rule adds to its own intent's score (for evidence).
    shown: f32,
}

/// Compiled intent stage.
#[derive(Debug, Clone)]
pub(crate) struct IntentStage {
    rules: RuleMatcher<RuleTarget>,
    model: Option<LinearModel>,
    /// Model class -> catalogue intent.
    model_ids: Vec<IntentId>,
    /// Per catalogue intent: whether the model scores it.
    in_model: Vec<bool>,
    params: IntentParams,
}

impl IntentStage {
    pub(crate) fn build(
        catalog: &Catalog,
        normalizer: &Normalizer,
        rules: &[Source<'_>],
        model: Option<Source<'_>>,
        params: IntentParams,
    ) -> Result<IntentStage, Error> {
        let mut model_ids = Vec::new();
        let mut in_model = vec![false; catalog.len()];
        let model = match model {
            // An empty default model (only the header) means "rules only".
            Some(src) if src.1.lines().any(|l| l.starts_with("@intents")) => {
                let m = LinearModel::parse(src)?;
                for l in &m.labels {
                    let id = catalog.id(l).ok_or_else(|| Error::UnknownIntent {
                        file: src.0.into(),
                        line: m.labels_line,
                        intent: l.clone(),
                    })?;
                    in_model[id.index()] = true;
                    model_ids.push(id);
                }
                Some(m)
            }
            Some(src) => {
                // Still check the header.
                records(src, MODEL_FORMAT)?.for_each(drop);
                None
            }
            None => None,
        };
        let rules = RuleMatcher::build(normalizer, rules, |r, id, intent, _| {
            let iid = catalog.id(intent).ok_or_else(|| Error::UnknownIntent {
                file: r.file.into(),
                line: r.line,
                intent: intent.into(),
            })?;
            let learned = model.as_ref().and_then(|m| {
                let k = model_ids.iter().position(|&x| x == iid)? as u16;
                m.trained_with(Label::truncated(id).as_str()).then_some(k)
            });
            Ok(Some(RuleTarget { intent: iid, learned, shown: 0.0 }))
        })?;
        let mut stage = IntentStage { rules, model, model_ids, in_model, params };
        // What a learned rule adds to its own intent, for the evidence list.
        if let Some(m) = &stage.model {
            for r in &mut stage.rules.rules {
                r.target.shown = match r.target.learned {
                    Some(k) => rule_value(r.weight) * m.rule_weight(k, k),
                    None => r.weight,
                };
            }
        } else {
            stage.rules.rules.iter_mut().for_each(|r| r.target.shown = r.weight);
        }
        Ok(stage)
    }

    /// Joins the model's table with the emotion model's (see [`LinearModel::join`]) when both
    /// read the same features; `hashes[row]` is the emotion model's feature hash of `row`.
    pub(crate) fn join(&mut self, spec: FeatureSpec, hashes: &[u64]) -> bool {
        match &mut self.model {
            Some(m) if m.spec == spec => m.join(hashes),
            _ => false,
        }
    }

    /// The feature hashes [`IntentStage::classify`] left in `scratch` (those of the text it
    /// was last called with), if the stage has a model.
    pub(crate) fn features<'a>(&self, scratch: &'a IntentScratch) -> Option<Hashed<'a>> {
        self.model.as_ref().map(|m| Hashed {
            spec: m.spec,
            hashes: &scratch.hashes,
            companion: m.joined().then_some(scratch.companion.as_slice()),
        })
    }

    pub(crate) fn classify(
        &self,
        catalog: &Catalog,
        text: &str,
        tokens: &[Range<u32>],
        scratch: &mut IntentScratch,
        out: &mut IntentScore,
    ) -> IntentId {
        let n = catalog.len();
        scratch.scores.clear();
        scratch.scores.resize(n, 0.0);
        scratch.rule_sums.clear();
        scratch.rule_sums.resize(self.model.as_ref().map_or(0, LinearModel::len), 0.0);
        out.evidence.clear();
        out.alternatives.clear();

        // Rules: learned ones feed the model's rule features, the others add log-odds.
        self.rules.for_each_hit(text, |r| {
            let t = r.target;
            match t.learned {
                Some(k) => scratch.rule_sums[k as usize] += r.weight,
                None => scratch.scores[t.intent.index()] += r.weight,
            }
            push_evidence(out, r.kind, r.id, catalog.def(t.intent).name, t.shown);
        });

        // Model scores; intents the model does not know start from the model's mean score, so
        // a merchant rule for a new intent lifts it above the crowd without retraining.
        let mut scale = 1.0;
        if let Some(m) = &self.model {
            m.spec.hashes(text, tokens, &mut scratch.hashes);
            scale = m.score_hashes(
                &scratch.hashes,
                &scratch.rule_sums,
                &mut scratch.logits,
                &mut scratch.rows,
                &mut scratch.companion,
                &mut scratch.hidden,
            );
            let mean = scratch.logits.iter().sum::<f32>() / m.len().max(1) as f32;
            for (i, s) in scratch.scores.iter_mut().enumerate() {
                if !self.in_model[i] {
                    *s += mean;
                }
            }
            for (k, &l) in scratch.logits.iter().enumerate() {
                scratch.scores[self.model_ids[k].index()] += l;
            }
        }

        // Softmax.
        let max = scratch.scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut z = 0.0;
        for s in scratch.scores.iter_mut() {
            *s = if s.is_finite() { (*s - max).exp() } else { 0.0 };
            z += *s;
        }
        if !(z > 0.0 && z.is_finite()) {
            scratch.scores.iter_mut().for_each(|s| *s = 0.0);
            let o = catalog.other().index();
            if let Some(s) = scratch.scores.get_mut(o) {
                *s = 1.0;
            }
        } else {
            scratch.scores.iter_mut().for_each(|s| *s /= z);
        }

        let top = top_three(&scratch.scores);
        let other = catalog.other();
        let (best, p_best) = top[0].unwrap_or((other, 1.0));
        let second = top[1];
        let margin = p_best - second.map_or(0.0, |s| s.1);
        let confident = p_best >= self.params.min_confidence && margin >= self.params.min_margin;
        let id = if confident { best } else { other };
        if !confident {
            out.alternatives.extend(
                top.iter()
                    .flatten()
                    .filter(|(i, _)| *i != other)
                    .map(|&(i, p)| (catalog.def(i).name, p)),
            );
        }
        out.id = catalog.def(id).name;
        out.confidence = scratch.scores.get(id.index()).copied().unwrap_or(0.0);
        out.runner_up =
            top.iter().flatten().find(|(i, _)| *i != id).map(|&(i, p)| (catalog.def(i).name, p));

        // Model evidence: the features that pushed the chosen intent up the most.
        // (None on a fallback to `other`: the alternatives explain that.)
        if let Some(m) = &self.model
            && confident
            && let Some(k) = self.model_ids.iter().position(|&i| i == id)
        {
            // The strongest few under the order (weight, then lower row), whatever order the
            // rows come in: one `rank_key` per row (0 stands for "none"), the six best kept by
            // `insert_key`: the weights arrive in no particular order, so a branch per
            // comparison would be mispredicted about every other time.
            let mut best = [0u64; MAX_EVIDENCE];
            // One byte a row when no count can pass 255 (a chat message: about 40 rows), so
            // the counters take 17.5 KiB for the default model instead of 70.
            let w = |row| m.weight(row, k as u16);
            if scratch.rows.len() <= usize::from(u8::MAX) {
                best_rows(m.row_count(), w, scale, &scratch.rows, &mut scratch.counts8, &mut best);
            } else {
                best_rows(m.row_count(), w, scale, &scratch.rows, &mut scratch.counts, &mut best);
            }
            let name = catalog.def(id).name;
            for &key in best.iter().take_while(|&&key| key != 0) {
                let (w, row) = unrank(key);
                push_evidence(out, EvidenceKind::Feature, m.name(row), name, w);
            }
        }
        // What speaks for the chosen intent first, strongest first; then rules that matched for
        // other intents (they explain the runner-up).
        let chosen = out.id;
        // Unstable sorting allocates no buffer; ties are broken by id, so the order is fixed.
        out.evidence.sort_unstable_by(|a, b| {
            (b.intent == chosen)
                .cmp(&(a.intent == chosen))
                .then(b.weight.total_cmp(&a.weight))
                .then(a.id.cmp(&b.id))
        });
        out.evidence.truncate(MAX_EVIDENCE);
        id
    }
}

/// The three most probable intents of `scores`, ties to the lower id (`None` past the end).
///
/// Each intent is one [`rank_key`] (never 0: 0 marks an empty place), kept by [`insert_key`]:
/// the probabilities come in no particular order, so a branch per comparison would often be
/// mispredicted.
fn top_three(scores: &[f32]) -> [Option<(IntentId, f32)>; 3] {
    let mut keys = [0u64; 3];
    for (i, &p) in scores.iter().enumerate() {
        insert_key(&mut keys, rank_key(p, i as u32));
    }
    keys.map(|k| {
        (k != 0).then(|| {
            let (p, i) = unrank(k);
            (IntentId(i as u16), p)
        })
    })
}

/// The selection key of a non-negative `value` with tie-breaking `id`: the value's bits (a
/// non-negative `f32`'s bits order like its value) over the inverted id, so a larger key is a
/// larger value, then a lower id; never 0 for an id below `u32::MAX`.
fn rank_key(value: f32, id: u32) -> u64 {
    u64::from(value.to_bits()) << 32 | u64::from(u32::MAX - id)
}

/// The value and id of a [`rank_key`].
fn unrank(key: u64) -> (f32, u32) {
    (f32::from_bits((key >> 32) as u32), u32::MAX - key as u32)
}

/// Inserts `key` into `keys` (sorted, largest first; the smallest falls off) by a max/min pass
/// with no branch on the comparisons.
fn insert_key<const N: usize>(keys: &mut [u64; N], mut key: u64) {
    for k in keys.iter_mut() {
        let (hi, lo) = if key > *k { (key, *k) } else { (*k, key) };
        *k = hi;
        key = lo;
    }
}

/// Keeps in `best` the strongest of `rows` under `weight` (see `classify`). A feature that
/// occurs twice adds up: each row's occurrences are counted first, in `counts` (one counter
/// per model row, all zeros between calls, so no sort is needed), then each row is taken once,
/// at its first occurrence, resetting its counter. `C` must count up to `rows.len()`.
fn best_rows<C: Copy + Default + PartialEq + std::ops::AddAssign + From<u8> + Into<u32>>(
    row_count: usize,
    weight: impl Fn(u32) -> f32,
    scale: f32,
    rows: &[u32],
    counts: &mut Vec<C>,
    best: &mut [u64; MAX_EVIDENCE],
) {
    if counts.len() < row_count {
        counts.resize(row_count, C::default());
    }
    for &row in rows {
        if let Some(c) = counts.get_mut(row as usize) {
            *c += C::from(1);
        }
    }
    for &row in rows {
        let Some(c) = counts.get_mut(row as usize) else { continue };
        let n: u32 = std::mem::take(c).into();
        let w = weight(row) * scale * n as f32;
        // A later occurrence finds its counter at 0, so `w` is 0 and the key too.
        insert_key(best, if w > 0.0 { rank_key(w, row) } else { 0 });
    }
}

/// Adds an evidence item, keeping at most a bounded number of model features (the list is
/// sorted and truncated afterwards) so a long message does not grow the buffer without bound.
fn push_evidence(out: &mut IntentScore, kind: EvidenceKind, id: Label, intent: Label, w: f32) {
    let ev = Evidence { kind, id, intent, weight: w };
    if out.evidence.len() < 4 * MAX_EVIDENCE {
        out.evidence.push(ev);
        return;
    }
    // Replace the weakest item of the same kind class if this one is stronger.
    if let Some((i, _)) = out
        .evidence
        .iter()
        .enumerate()
        .filter(|(_, e)| (e.kind == EvidenceKind::Feature) == (kind == EvidenceKind::Feature))
        .min_by(|a, b| a.1.weight.total_cmp(&b.1.weight))
        && out.evidence[i].weight < w
    {
        out.evidence[i] = ev;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feats(spec: &str, text: &str, tokens: &[Range<u32>]) -> Vec<String> {
        let spec = FeatureSpec::parse(spec).unwrap();
        let mut out = Vec::new();
        let mut s = String::new();
        spec.for_each(text, tokens, &mut |p, pieces| {
            feature_string(p, pieces, spec.fold_digits, &mut s);
            assert_eq!(hash_str(&s), feature_hash(p, pieces, spec.fold_digits), "{s}");
            out.push(s.clone());
        });
        out
    }

    #[test]
    fn char_ngrams_with_bounds() {
        let f = feats("c1 c2 c3 bounds", "在 吗", &[]);
        assert_eq!(f, ["c1:在", "c2:^在", "c1:吗", "c2:在吗", "c3:^在吗", "c2:吗$", "c3:在吗$"]);
        assert!(feats("c3 bounds", "", &[]).is_empty());
        assert!(feats("c3 bounds", "   ", &[]).is_empty());
        assert_eq!(feats("c1", "好", &[]), ["c1:好"]);
    }

    #[test]
    fn words_pairs_and_digits() {
        let text = "退款123";
        let f = feats("w wb bounds digits0", text, &[0..6, 6..9]);
        assert_eq!(f, ["w:退款", "wb:^|退款", "w:000", "wb:退款|000", "wb:000|$"]);
    }

    #[test]
    // Reversed and out-of-bounds spans on purpose: token spans from outside must not panic.
    #[allow(clippy::reversed_empty_ranges)]
    fn one_pass_hashes_match_the_spec() {
        let texts =
            ["", "  ", "在 吗", "退款123 ok", "这件衣服显胖吗？我165 120斤", "😡\u{0}x\t好"];
        let specs =
            ["w", "c1", "c2", "w c1 c2 sqrt", "w c1 c2 digits0", "w wb c3 bounds", "c2 bounds"];
        let mut got = Vec::new();
        for spec in specs {
            let spec = FeatureSpec::parse(spec).unwrap();
            for text in texts {
                // Jieba-like spans plus odd ones (reversed, out of bounds, inside a character).
                let mut tokens: Vec<Range<u32>> =
                    text.char_indices().map(|(i, c)| i as u32..(i + c.len_utf8()) as u32).collect();
                tokens.extend([0..0, 1..2, 3..1, 100..200]);
                let mut want = Vec::new();
                spec.for_each(text, &tokens, &mut |p, pieces| {
                    want.push(feature_hash(p, pieces, spec.fold_digits))
                });
                spec.hashes(text, &tokens, &mut got);
                assert_eq!(got, want, "{spec:?} {text:?}");
            }
        }
    }

    #[test]
    fn spec_round_trips() {
        let s = FeatureSpec::default();
        assert_eq!(FeatureSpec::parse(&s.to_line()).unwrap(), s);
        assert!(FeatureSpec::parse("w c4").is_err());
    }

    const MODEL: &str = "#format intent_model v1\n@intents\trefund_request\tother\n@features\tc1\n@temperature\t2\n@bias\t0\t1\nc1:退\trefund_request:8\n";

    fn stage(model: &str, rules: &str) -> Result<(Catalog, IntentStage), Error> {
        let cat = Catalog::parse(&[(
            "intents.tsv",
            "#format intents v1\nrefund_request\tafter_sale\turgent\nhuman_agent\tpre_sale\tnormal\nother\tpre_sale\tnormal\n",
        )])?;
        let params = IntentParams { min_confidence: 0.4, min_margin: 0.05 };
        let st = IntentStage::build(
            &cat,
            &Normalizer::new(),
            &[("rules.tsv", rules)],
            Some(("m.tsv", model)),
            params,
        )?;
        Ok((cat, st))
    }

    #[test]
    fn model_and_rules_fuse() {
        let (cat, st) = stage(
            MODEL,
            "#format rules v1\nr1\thuman_agent\tkeyword\t人工\t6\nr2\thuman_agent\tregex\t^转.*工$\t2\n",
        )
        .unwrap();
        let mut sc = IntentScratch::default();
        let mut out = IntentScore::default();
        const CASES: &[(&str, &str)] = &[
            ("退", "refund_request"),
            ("你好", "other"),
            ("转人工", "human_agent"),
            ("", "other"),
        ];
        for &(text, want) in CASES {
            let id = st.classify(&cat, text, &[], &mut sc, &mut out);
            assert_eq!(out.id, want, "{text}: {out:?}");
            assert_eq!(cat.def(id).name, want);
            assert!((0.0..=1.0).contains(&out.confidence));
        }
        st.classify(&cat, "退", &[], &mut sc, &mut out);
        assert_eq!(out.evidence[0].id, "c1:退");
        assert_eq!(out.evidence[0].kind, EvidenceKind::Feature);
        // weight 8 / temperature 2, one feature: value 1.
        assert!((out.evidence[0].weight - 4.0).abs() < 1e-5, "{out:?}");
        st.classify(&cat, "转人工", &[], &mut sc, &mut out);
        let ids: Vec<&str> = out.evidence.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(&ids[..2], ["r1", "r2"]);
    }

    #[test]
    fn bad_models_and_rules_are_named() {
        let e = stage(&MODEL.replace("\tother\n", "\tnope\n"), "#format rules v1\n").unwrap_err();
        assert!(matches!(e, Error::UnknownIntent { line: 2, .. }), "{e}");
        let e = stage(MODEL, "#format rules v1\nr\tother\tregex\t(\t1\n").unwrap_err();
        assert!(e.to_string().starts_with("rules.tsv:2:"), "{e}");
        let e =
            stage(MODEL, "#format rules v1\nr\tother\tregex\t\\w{1000}{1000}\t1\n").unwrap_err();
        assert!(matches!(e, Error::Regex { .. }), "{e}");
        let e = stage(&format!("{MODEL}c1:退\tother:1\n"), "#format rules v1\n").unwrap_err();
        assert!(matches!(e, Error::Duplicate { line: 7, .. }), "{e}");
        let e = stage(&format!("{MODEL}c1:x\tfoo:1\n"), "#format rules v1\n").unwrap_err();
        assert!(e.to_string().starts_with("m.tsv:7:"), "{e}");
        assert!(stage("#format intent_model v2\n", "#format rules v1\n").is_err());
    }

    /// [`MODEL`] plus a two-unit hidden layer: unit 0 fires on `c1:好` and votes `other`,
    /// unit 1 fires on `c1:退` and votes `refund_request`, mixed in at `mix`.
    fn hidden_model(mix: &str) -> String {
        format!(
            "{MODEL}@hidden\t2\t{mix}\n@hidden_bias\t0\t0\n@output\trefund_request\t-3\t3\n@output\tother\t3\t-3\n@output_bias\t0\t0\n@input\tc1:好\t1\t2\t0\n@input\tc1:退\t2\t0\t2\n"
        )
    }

    #[test]
    fn hidden_layer_mixes_into_the_scores() {
        let mut sc = IntentScratch::default();
        let mut out = IntentScore::default();
        let (cat, st) = stage(&hidden_model("0.5"), "#format rules v1\n").unwrap();
        let (lcat, lst) = stage(MODEL, "#format rules v1\n").unwrap();
        let mut lin = IntentScore::default();
        lst.classify(&lcat, "退", &[], &mut sc, &mut lin);
        // Linear logits (4, 0.5) halved, plus half of the layer's (6, -6): more confident.
        st.classify(&cat, "退", &[], &mut sc, &mut out);
        assert_eq!(out.id, "refund_request", "{out:?}");
        assert!(out.confidence > lin.confidence, "{out:?} vs {lin:?}");
        // Mix 1: the layer alone decides. 好 has no linear weight, the layer says other.
        let (cat, st) = stage(&hidden_model("1"), "#format rules v1\n").unwrap();
        st.classify(&cat, "好", &[], &mut sc, &mut out);
        assert_eq!(out.id, "other", "{out:?}");
        assert!(out.confidence > 0.99, "{out:?}");
        // 好好退: TF-IDF 2 x 1 on unit 0, 1 x 2 on unit 1, so the layer's scores tie and the
        // result is ambiguous (`other` by the margin rule, refund_request an alternative).
        st.classify(&cat, "好好退", &[], &mut sc, &mut out);
        assert_eq!(out.id, "other", "{out:?}");
        assert!(out.alternatives.iter().any(|a| a.0 == "refund_request"), "{out:?}");
        // Mix 0: exactly the linear model.
        let (cat, st) = stage(&hidden_model("0"), "#format rules v1\n").unwrap();
        st.classify(&cat, "退", &[], &mut sc, &mut out);
        assert!((out.confidence - lin.confidence).abs() < 1e-6, "{out:?} vs {lin:?}");
    }

    #[test]
    fn bad_hidden_layers_are_named() {
        let bad = |model: String, want: &str| {
            let e = stage(&model, "#format rules v1\n").unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
        };
        let m = hidden_model("0.5");
        bad(format!("{MODEL}@input\tc1:好\t1\t2\t0\n"), "before `@hidden`");
        bad(hidden_model("1.5"), "from 0 to 1");
        bad(m.replace("@hidden\t2", "@hidden\t0"), "1 to 1024");
        bad(m.replace("@hidden\t2", "@hidden\t9999"), "1 to 1024");
        bad(m.replace("\t2\t0\t2\n", "\t2\t0\n"), "expected 2");
        bad(m.replace("@output\tother\t3\t-3\n", ""), "no `@output` line for `other`");
        bad(m.replace("@output_bias\t0\t0\n", ""), "no `@output_bias`");
        bad(m.replace("@output\tother", "@output\tnope"), "`nope`");
        bad(m.replace("@output\tother", "@output\trefund_request"), "second `@output`");
        bad(m.replace("c1:退\t2\t0", "c1:好\t2\t0"), "same feature");
        bad(m.replace("c1:退\t2\t0\t2", "c1:退\t2\t0\tNaN"), "finite");
        bad(m.replace("c1:退\t2\t", "c1:退\t-2\t"), "idf");
        bad(format!("{m}@hidden\t2\t0.5\n"), "second `@hidden`");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, ..Default::default() })]

        /// The branch-free top three is a stable sort by probability, cut at three.
        #[test]
        fn top_three_is_the_stable_sort(
            scores in proptest::collection::vec(
                proptest::prop_oneof![0.0f32..1.0, proptest::sample::select(vec![0.0f32, 0.25, 0.5])],
                0..30,
            ),
        ) {
            let mut want: Vec<(usize, f32)> = scores.iter().copied().enumerate().collect();
            want.sort_by(|a, b| b.1.total_cmp(&a.1));
            let got = top_three(&scores);
            for (k, g) in got.iter().enumerate() {
                proptest::prop_assert_eq!(*g, want.get(k).map(|&(i, p)| (IntentId(i as u16), p)));
            }
        }

        /// The evidence selection is the sorted walk it replaced: each row's weight times its
        /// occurrences, the positive ones by weight then lower row, the first six; and the
        /// counters are all zeros again afterwards.
        #[test]
        fn best_rows_is_the_sorted_walk(
            rows in proptest::collection::vec(0u32..40, 0..300),
            weights in proptest::collection::vec(
                proptest::prop_oneof![-2.0f32..2.0, proptest::sample::select(vec![0.0f32, 0.5, 1.0])],
                40,
            ),
            scale in 0.05f32..1.0,
        ) {
            let weight = |r: u32| weights[r as usize];
            let mut sorted = rows.clone();
            sorted.sort_unstable();
            let mut want: Vec<(f32, u32)> = Vec::new();
            for run in sorted.chunk_by(|a, b| a == b) {
                let w = weight(run[0]) * scale * run.len() as f32;
                if w > 0.0 {
                    want.push((w, run[0]));
                }
            }
            want.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            want.truncate(MAX_EVIDENCE);
            let decode = |best: &[u64; MAX_EVIDENCE]| -> Vec<(f32, u32)> {
                best.iter()
                    .take_while(|&&k| k != 0)
                    .map(|&k| (f32::from_bits((k >> 32) as u32), u32::MAX - k as u32))
                    .collect()
            };
            let mut c32 = Vec::<u32>::new();
            let mut best = [0u64; MAX_EVIDENCE];
            best_rows(40, weight, scale, &rows, &mut c32, &mut best);
            proptest::prop_assert_eq!(decode(&best), want.clone());
            proptest::prop_assert!(c32.iter().all(|&c| c == 0));
            if rows.len() <= 255 {
                let mut c8 = Vec::<u8>::new();
                let mut best = [0u64; MAX_EVIDENCE];
                best_rows(40, weight, scale, &rows, &mut c8, &mut best);
                proptest::prop_assert_eq!(decode(&best), want);
                proptest::prop_assert!(c8.iter().all(|&c| c == 0));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

        /// The batched accumulation (registers, AVX2 when the processor has it) gives bit for
        /// bit the scores of adding one row after another, at every row width.
        #[test]
        fn add_rows_is_row_after_row(
            classes in 1usize..40,
            weights in proptest::collection::vec((0usize..40, -50.0f32..50.0), 1..400),
            picks in proptest::collection::vec(0usize..1000, 0..120),
            scale in 0.01f32..2.0,
        ) {
            let mut text = String::from("#format intent_model v1\n@intents");
            for c in 0..classes {
                text.push_str(&format!("\ti{c}"));
            }
            text.push_str("\n@features\tc1\n@bias");
            text.push_str(&"\t0".repeat(classes));
            text.push('\n');
            let mut features = 0;
            for (f, chunk) in weights.chunks(3).enumerate() {
                text.push_str(&format!("c1:{}", char::from_u32(0x4e00 + f as u32).unwrap()));
                for &(c, w) in chunk {
                    text.push_str(&format!("\ti{}:{w}", c % classes));
                }
                text.push('\n');
                features += 1;
            }
            let Ok(m) = LinearModel::parse(("m.tsv", &text)) else {
                // Repeated classes on one line are an error of their own; nothing to compare.
                return Ok(());
            };
            let rows: Vec<u32> = picks.iter().map(|&p| (p % features) as u32).collect();
            let width = m.stride.max(m.labels.len());
            let start: Vec<f32> = (0..width).map(|i| i as f32 * 0.25 - 1.0).collect();
            let mut want = start.clone();
            rows.iter().for_each(|&r| m.add_row(r, scale, &mut want));
            let mut got = start;
            m.add_rows(&rows, scale, &mut got);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&got), bits(&want));
        }
    }

    proptest::proptest! {
        /// A table joined with a companion model's finds the same rows of this model as
        /// before, and the companion's rows of the same features, occurrence by occurrence.
        #[test]
        fn joined_table_finds_both_models_rows(
            own in proptest::collection::btree_set(0u32..300, 1..60),
            other in proptest::collection::btree_set(0u32..300, 1..200),
            message in proptest::collection::vec(0u32..320, 0..80),
        ) {
            let feature = |k: u32| format!("c1:{}", char::from_u32(0x4e00 + k).unwrap());
            let mut text = String::from("#format intent_model v1\n@intents\ta\tb\n@features\tc1\n@bias\t0\t0\n");
            for &k in &own {
                text.push_str(&format!("{}\ta:1\tb:-1\n", feature(k)));
            }
            let mut m = LinearModel::parse(("m.tsv", &text)).unwrap();
            let hash = |k: u32| feature_hash("", &[&feature(k)], false);
            let companion: Vec<u64> = other.iter().map(|&k| hash(k)).collect();
            let hashes: Vec<u64> = message.iter().map(|&k| hash(k)).collect();
            let (mut logits, mut rows, mut comp) = (Vec::new(), Vec::new(), Vec::new());
            let mut hidden = HiddenScratch::default();
            m.score_hashes(&hashes, &[], &mut logits, &mut rows, &mut comp, &mut hidden);
            let (before, before_logits) = (rows.clone(), logits.clone());
            proptest::prop_assert!(comp.is_empty());
            proptest::prop_assert!(m.join(&companion));
            m.score_hashes(&hashes, &[], &mut logits, &mut rows, &mut comp, &mut hidden);
            proptest::prop_assert_eq!(&rows, &before);
            proptest::prop_assert_eq!(&logits, &before_logits);
            let want: Vec<u32> = message
                .iter()
                .filter_map(|k| other.iter().position(|o| o == k).map(|i| i as u32))
                .collect();
            proptest::prop_assert_eq!(comp, want);
        }
    }

    proptest::proptest! {
        /// `probe_first` answers what the probe loop answers, on sparse and full tables, for
        /// keys present and absent (hashes that share a slot or a tag included).
        #[test]
        fn probe_first_is_the_probe_loop(
            keys in proptest::collection::hash_set(0u64..4096, 0..200),
            lookups in proptest::collection::vec(0u64..4096, 0..100),
            spread in proptest::sample::select(vec![0u64, 1 << 32, 0x9E37_79B9_7F4A_7C15]),
        ) {
            let h = |k: u64| k.wrapping_mul(spread | 1) ^ (k << 32);
            let entries: Vec<(u64, u32)> =
                keys.iter().enumerate().map(|(i, &k)| (h(k), i as u32)).collect();
            for table in [
                build_table(entries.iter().copied()),
                build_sparse_table(entries.iter().copied()),
            ] {
                for &k in keys.iter().chain(&lookups) {
                    proptest::prop_assert_eq!(
                        probe_first(&table, h(k)),
                        probe(&table, h(k)).unwrap_or(u32::MAX)
                    );
                }
            }
            proptest::prop_assert_eq!(probe_first(&[], 7), u32::MAX);
        }
    }

    #[test]
    // Reversed and out-of-bounds spans on purpose: token spans from outside must not panic.
    #[allow(clippy::reversed_empty_ranges)]
    fn no_panic_on_odd_input() {
        let (cat, st) =
            stage(MODEL, "#format rules v1\nr1\thuman_agent\tkeyword\t人工\t6\n").unwrap();
        let mut sc = IntentScratch::default();
        let mut out = IntentScore::default();
        let long = "退".repeat(10_000);
        for text in ["", " ", "😡😡😡", "\u{0}\u{7}", long.as_str()] {
            st.classify(&cat, text, &[0..1, 5..2, 100..200], &mut sc, &mut out);
            assert!(out.evidence.len() <= MAX_EVIDENCE);
        }
    }
}
