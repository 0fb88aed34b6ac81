//! Stage 4: emotion — lexicon with negation, degree, contrast, punctuation and emoji, fused
//! with a learned linear model (`data/emotion_model.tsv`, see `EmotionStage::fused` and
//! `data/README.md`).
//!
//! One keyword matcher ([`super::keywords`], leftmost-longest, so `不错` wins over the negator
//! `不` and `会不会` over `不会`) holds every lexicon word and modifier of `data/emotion.tsv`. One scan
//! of the normalised text walks the hits in order:
//!
//! - an emotion word adds its weight to its emotion, times the degree word right before it
//!   (`太失望`), and is flipped when a negator ends at most `neg_window` characters before it in
//!   the same clause (`不满意` -> disappointment, `没有破损` -> a little satisfaction,
//!   `不担心` -> nothing);
//! - a frame (`会` … `吗`) counts when its closing word follows in the same clause;
//! - thanks in a message that asks for something are politeness (`请开发票，谢谢`), and
//!   praise asked about is doubt (`好看吗`);
//! - single-character words count only where a jieba token starts (`烦` in `麻烦` does not);
//! - a contrast word (`但是`, `可是`, `不过` …) moves the weight to the clause after it, when
//!   that clause says something (`很喜欢！但是颜色想换…` stays satisfaction);
//! - a sarcasm marker (`真是`, `可真`) turns the praise right after it into anger when the
//!   message is otherwise negative (`真是好服务啊，三天不回`);
//! - emoji and kaomoji count per emotion, from the text or from [`Cues::emoji`] when the
//!   normaliser removed them (the larger of the two, never both);
//! - `!`, runs of `?` and folded repeats raise intensity and push an already negative message
//!   towards anger; a repeated word (`人工人工人工`) is impatience.
//!
//! Without a learned model, the label is the emotion with the largest score when it beats a
//! constant neutral score (`neutral_base`); `scores` are the evidence normalised together with
//! that neutral mass, so a weak cue moves `valence` without changing the label. With one (the
//! default), a second pass hashes the message's words and character 1-2-grams and looks them up
//! in a compact table; the lexicon evidence and the model's log-odds are fused with the
//! weights of the `param` records (chosen by cross-validation on train splits). Nothing
//! allocates per call.

use std::ops::Range;

use crate::data::{Record, Source, records};
use crate::decision::{Emotion, EmotionScore};
use crate::error::Error;
use crate::pipeline::Cues;
use crate::pipeline::intent::{self, FeatureSpec, Hashed, feature_hash};
use crate::pipeline::keywords::Keywords;

const FORMAT: &str = "emotion v1";
const MODEL_FORMAT: &str = "emotion_model v1";
/// Most feature lines a model may have (a bound on build time and memory).
const MAX_MODEL_FEATURES: usize = 1 << 22;

const ANGER: usize = 0;
const ANXIETY: usize = 1;
const IMPATIENCE: usize = 2;
const DISAPPOINTMENT: usize = 3;
const SATISFACTION: usize = 4;
const NEUTRAL: usize = 5;

/// Valence of each emotion (index by [`Emotion::index`]): `valence` is their mean weighted by
/// `scores`.
const VALENCE: [f32; Emotion::COUNT] = [-1.0, -0.45, -0.55, -0.8, 0.85, 0.0];

/// What one pattern of the automaton does.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Adds `weight` to an emotion (a neutral word with weight 0 only shadows shorter words).
    Word { emotion: Emotion, weight: f32 },
    /// An emoji or kaomoji: counts towards an emotion, merged with [`Cues::emoji`].
    Emoji { emotion: Emotion, weight: f32 },
    /// Flips the emotion word that follows within `neg_window` characters.
    Negator,
    /// Multiplies the emotion word right after it.
    Degree(f32),
    /// Moves weight to the clause after it.
    Contrast,
    /// Praise right after it is sarcasm in a negative message.
    Sarcasm,
    /// Thanks: satisfaction, unless the message is a request (`请开发票，谢谢`).
    Thanks(f32),
    /// A request word (`帮我`, `请`, `取消`): thanks in the same message are politeness.
    Request,
    /// An emotion when `close` follows within a few characters in the same clause
    /// (`会` … `吗`: `会掉色吗` is worry).
    Frame { close: u8, emotion: Emotion, weight: f32 },
}

/// Tunable constants; each can be set in the data with `param<TAB>name<TAB>value`.
#[derive(Debug, Clone, Copy)]
struct Params {
    /// Score of `neutral`: an emotion must beat it to become the label.
    neutral_base: f32,
    /// Characters allowed between a negator and the word it negates.
    neg_window: f32,
    /// A negated praise word counts this much of its weight as disappointment.
    negated_praise: f32,
    /// A negated complaint word counts this much of its weight as satisfaction.
    negated_complaint: f32,
    /// Share of the weight before a contrast word that is kept.
    contrast_keep: f32,
    /// Added to anger per `!` (up to 5) in a message with negative evidence.
    exclaim_anger: f32,
    /// Added to anger by three or more `!` with no other evidence.
    exclaim_alone: f32,
    /// Added to anger per `?` beyond the first (up to 4) in a negative message.
    question_run: f32,
    /// Weight of one emoji cue from [`Cues::emoji`], per emotion (`emoji_anger` …; emoji
    /// left in the text carry their own weight).
    emoji_cue: [f32; NEUTRAL],
    /// Added to impatience when a word is repeated back to back.
    repeat: f32,
    /// Evidence that gives intensity 1 - 1/e.
    intensity_scale: f32,
    /// Intensity added per `!` (up to 5).
    exclaim_intensity: f32,
    /// Intensity added per folded repeated character (up to 5).
    folded_intensity: f32,
    /// Anger is multiplied by this when choosing the label: an accusation next to urging is
    /// anger (`耍我呢？都五天了还没发`).
    anger_bias: f32,
    /// Share of thanks kept in a message that asks for something.
    request_thanks: f32,
    /// Share of a praise word kept as worry when `吗` follows it (`好看吗`).
    praise_question: f32,
    /// With a learned model: weight of its emotion log-odds in the label.
    model_emotion: f32,
    /// With a learned model: weight of the lexicon evidence in the label.
    lexicon_emotion: f32,
    /// With a learned model: weight of the lexicon evidence in the valence log-odds.
    lexicon_valence: f32,
    /// With a learned model: intensity evidence per unit of the model's own log-odds margin of
    /// the label over neutral.
    model_intensity: f32,
    /// With a learned model: anger must beat the runner-up by this fused margin, else the
    /// runner-up is the label (hand-off follows anger, so it must be precise).
    anger_margin: f32,
    /// With a learned model: share of a negated emotion word's weight that counts against
    /// its emotion.
    negated_against: f32,
    /// With a learned model and a contrast word: share of the model's scores taken from the
    /// clause after the last contrast word (the rest from the whole message).
    contrast_model: f32,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            neutral_base: 1.0,
            neg_window: 2.0,
            negated_praise: 0.8,
            negated_complaint: 0.25,
            contrast_keep: 0.3,
            exclaim_anger: 0.35,
            exclaim_alone: 1.2,
            question_run: 0.35,
            emoji_cue: [1.5, 1.0, 1.0, 1.0, 0.9],
            repeat: 1.6,
            intensity_scale: 4.0,
            exclaim_intensity: 0.04,
            folded_intensity: 0.03,
            anger_bias: 1.3,
            request_thanks: 0.4,
            praise_question: 0.5,
            model_emotion: 0.5,
            lexicon_emotion: 2.5,
            lexicon_valence: 0.2,
            model_intensity: 0.25,
            anger_margin: 1.75,
            negated_against: 0.5,
            contrast_model: 0.0,
        }
    }
}

impl Params {
    fn set(&mut self, r: &Record<'_>, name: &str, value: &str) -> Result<(), Error> {
        let v: f32 = r.num("value", value)?;
        if !v.is_finite() || v < 0.0 {
            return Err(
                r.error(format!("param `{name}` must be a finite number >= 0, found `{value}`"))
            );
        }
        let slot = match name {
            "neutral_base" => &mut self.neutral_base,
            "neg_window" => &mut self.neg_window,
            "negated_praise" => &mut self.negated_praise,
            "negated_complaint" => &mut self.negated_complaint,
            "contrast_keep" => &mut self.contrast_keep,
            "exclaim_anger" => &mut self.exclaim_anger,
            "exclaim_alone" => &mut self.exclaim_alone,
            "question_run" => &mut self.question_run,
            "emoji_anger" => &mut self.emoji_cue[ANGER],
            "emoji_anxiety" => &mut self.emoji_cue[ANXIETY],
            "emoji_impatience" => &mut self.emoji_cue[IMPATIENCE],
            "emoji_disappointment" => &mut self.emoji_cue[DISAPPOINTMENT],
            "emoji_satisfaction" => &mut self.emoji_cue[SATISFACTION],
            "repeat" => &mut self.repeat,
            "intensity_scale" => &mut self.intensity_scale,
            "exclaim_intensity" => &mut self.exclaim_intensity,
            "folded_intensity" => &mut self.folded_intensity,
            "anger_bias" => &mut self.anger_bias,
            "request_thanks" => &mut self.request_thanks,
            "praise_question" => &mut self.praise_question,
            "model_emotion" => &mut self.model_emotion,
            "lexicon_emotion" => &mut self.lexicon_emotion,
            "lexicon_valence" => &mut self.lexicon_valence,
            "model_intensity" => &mut self.model_intensity,
            "anger_margin" => &mut self.anger_margin,
            "negated_against" => &mut self.negated_against,
            "contrast_model" => &mut self.contrast_model,
            _ => return Err(r.error(format!("unknown param `{name}`; see data/README.md"))),
        };
        *slot = v;
        Ok(())
    }
}

/// Compiled emotion scorer.
#[derive(Debug, Clone)]
pub(crate) struct EmotionStage {
    /// Every pattern, leftmost-longest; `PatternID` indexes `kinds`.
    automaton: Option<Keywords>,
    kinds: Vec<Kind>,
    /// Closing words of [`Kind::Frame`], indexed by `close`.
    closes: Vec<String>,
    params: Params,
    /// The learned model, when one is loaded.
    model: Option<Model>,
}

/// Classes of the learned model: three valence classes, then the six emotions in
/// [`Emotion::ALL`] order.
const CLASSES: usize = 3 + Emotion::COUNT;
const CLASS_NAMES: [&str; 3] = ["valence_negative", "valence_neutral", "valence_positive"];

/// One feature's weights quantised to `i16`, 32 bytes aligned, so a row never straddles two
/// cache lines.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
struct Row([i16; CLASSES]);

/// A parsed `emotion_model v1`: a linear model over the intent stage's hashed features (see
/// [`FeatureSpec`]). Feature hash -> row goes through an open-addressing table of the intent
/// model's layout (8 bytes a slot, at most half full); the weights are a dense array of
/// rows, as `i16` times `quantum` (a step of 1/32767 of the largest weight, far below the
/// precision the weights are written with). When the engine joins the intent model's table
/// with this one ([`intent::LinearModel::join`]), the intent stage's lookup finds the rows
/// and this table serves only the clause after a contrast word.
#[derive(Debug, Clone)]
struct Model {
    spec: FeatureSpec,
    bias: [f32; CLASSES],
    table: Vec<u64>,
    weights: Vec<Row>,
    /// The feature hash of each row, until the engine takes them for the join.
    hashes: Vec<u64>,
    quantum: f32,
}

impl Model {
    /// Parses a model text (columns tab-separated, shown with `→`):
    ///
    /// ```text
    /// #format emotion_model v1
    /// @classes → valence_negative → valence_neutral → valence_positive → anger → … → neutral
    /// @features → w → c1 → c2 → sqrt
    /// @bias → 0.1 → -0.3 → …                      (one per class of @classes)
    /// c2:垃圾 → 1.92 → -0.4 → -1.5 → 0.84 → …      (one weight per class of @classes)
    /// ```
    ///
    /// Weights are calibrated log-odds (already divided by the training temperature); a class
    /// that `@classes` does not name has weight 0.
    fn parse(src: Source<'_>) -> Result<Model, Error> {
        let mut m = Model {
            spec: FeatureSpec::default(),
            bias: [0.0; CLASSES],
            table: Vec::new(),
            weights: Vec::new(),
            hashes: Vec::new(),
            quantum: 1.0,
        };
        // (feature hash, weights, line)
        let mut rows: Vec<(u64, [f32; CLASSES], usize)> = Vec::new();
        let mut classes: Vec<usize> = Vec::new();
        let mut seen_classes = false;
        let mut seen_features = false;
        let slot = |r: &Record<'_>, name: &str| -> Result<usize, Error> {
            if let Some(i) = CLASS_NAMES.iter().position(|c| *c == name) {
                return Ok(i);
            }
            Emotion::from_name(name).map(|e| 3 + e.index()).ok_or_else(|| {
                r.error(format!(
                    "unknown class `{name}`; use valence_negative, valence_neutral, valence_positive or an emotion id"
                ))
            })
        };
        for r in records(src, MODEL_FORMAT)? {
            let mut cols = r.text.split('\t');
            let key = cols.next().unwrap_or("");
            match key {
                "@classes" => {
                    classes = cols
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(|c| slot(&r, c))
                        .collect::<Result<_, _>>()?;
                    seen_classes = true;
                }
                "@features" => {
                    let rest = r.text.split_once('\t').map_or("", |x| x.1);
                    m.spec = FeatureSpec::parse(rest).map_err(|e| r.error(e))?;
                    seen_features = true;
                }
                "@bias" => {
                    let vals: Vec<&str> = cols.collect();
                    if !seen_classes || vals.len() != classes.len() {
                        return Err(r.error(format!(
                            "`@bias` needs one value per class of an earlier `@classes` line, found {}",
                            vals.len()
                        )));
                    }
                    for (&k, v) in classes.iter().zip(vals) {
                        m.bias[k] = finite(&r, v)?;
                    }
                }
                k if k.starts_with('@') => {
                    return Err(r.error(format!(
                        "unknown directive `{k}`; expected @classes, @features or @bias"
                    )));
                }
                feature => {
                    if !seen_classes {
                        return Err(
                            r.error("a feature line before `@classes`; list the classes first")
                        );
                    }
                    let mut row = [0.0f32; CLASSES];
                    let mut given = 0usize;
                    for v in cols {
                        if let Some(&k) = classes.get(given) {
                            // Most weights of a pruned model are 0: skip the float parser.
                            row[k] = if v == "0" { 0.0 } else { finite(&r, v)? };
                        }
                        given += 1;
                    }
                    if given != classes.len() {
                        return Err(r.error(format!(
                            "`{feature}` has {given} weights for {} classes",
                            classes.len()
                        )));
                    }
                    if rows.len() >= MAX_MODEL_FEATURES {
                        return Err(Error::TooLarge {
                            file: r.file.into(),
                            what: "the number of model features".into(),
                            limit: MAX_MODEL_FEATURES,
                        });
                    }
                    rows.push((feature_hash("", &[feature], false), row, r.line));
                }
            }
        }
        if !seen_features {
            return Err(Error::parse(src.0, 1, "no `@features` line; re-export the model"));
        }
        if let Some(line) = m.fill(&rows) {
            let feature = src.1.lines().nth(line - 1).and_then(|l| l.split('\t').next());
            return Err(Error::Duplicate {
                file: src.0.into(),
                line,
                id: feature.unwrap_or("").into(),
            });
        }
        Ok(m)
    }

    /// Builds the table (at most half full) and the weight rows from `(hash, weights, line)`
    /// rows; returns the line of a feature listed twice, if any.
    fn fill(&mut self, rows: &[(u64, [f32; CLASSES], usize)]) -> Option<usize> {
        let peak = rows.iter().flat_map(|r| r.1).fold(0.0f32, |a, w| a.max(w.abs()));
        self.quantum = if peak > 0.0 { peak / f32::from(i16::MAX) } else { 1.0 };
        let size = (rows.len() * 2).max(2).next_power_of_two();
        self.table = vec![0; size];
        self.weights = Vec::with_capacity(rows.len());
        self.hashes = Vec::with_capacity(rows.len());
        for &(h, w, line) in rows {
            if !intent::insert(&mut self.table, h, self.weights.len() as u32) {
                return Some(line);
            }
            self.weights
                .push(Row(w.map(|x| (x / self.quantum).round().clamp(-32767.0, 32767.0) as i16)));
            self.hashes.push(h);
        }
        None
    }

    /// Adds the weights of the features `hashes` to `acc`: every first slot is requested,
    /// then every slot read (no branch on whether a feature is in the model), then every
    /// weight row found requested, then added.
    #[inline]
    fn add(&self, hashes: &[u64], acc: &mut [i32; CLASSES]) {
        for chunk in hashes.chunks(64) {
            intent::prefetch_slots(&self.table, chunk);
            let mut rows = [0u32; 64];
            let mut n = 0;
            for &h in chunk {
                let row = intent::probe_first(&self.table, h);
                if let Some(r) = rows.get_mut(n) {
                    *r = row;
                }
                n += usize::from(row != u32::MAX);
            }
            let rows = &rows[..n];
            self.prefetch_rows(rows);
            self.add_rows(rows, acc);
        }
    }

    /// Requests the weight rows `rows` (a hint: see [`super::prefetch`]).
    #[inline]
    fn prefetch_rows(&self, rows: &[u32]) {
        for &r in rows {
            if let Some(w) = self.weights.get(r as usize) {
                super::prefetch(w);
            }
        }
    }

    /// Adds the weight rows `rows` to `acc` (integers: the order does not matter).
    #[inline]
    fn add_rows(&self, rows: &[u32], acc: &mut [i32; CLASSES]) {
        for &r in rows {
            if let Some(w) = self.weights.get(r as usize) {
                acc.iter_mut().zip(w.0).for_each(|(a, w)| *a += i32::from(w));
            }
        }
    }

    /// Log-odds of every class for the part of `text` from byte `from` on, with the tokens
    /// that start there (no allocation; at most 64 tokens are kept).
    fn score_tail(&self, text: &str, tokens: &[Range<u32>], from: usize) -> [f32; CLASSES] {
        let Some(tail) = text.get(from..) else { return self.bias };
        let mut buf: [Range<u32>; 64] = std::array::from_fn(|_| 0..0);
        let mut n = 0;
        let base = from as u32;
        for t in tokens.iter().filter(|t| t.start >= base) {
            if n == buf.len() {
                break;
            }
            buf[n] = t.start - base..t.end.saturating_sub(base);
            n += 1;
        }
        self.score(tail, &buf[..n])
    }

    /// [`Model::score`] from the message's feature hashes under this model's spec, computed
    /// once by the intent stage, and the rows its lookup found when the tables are joined:
    /// the same values without hashing the message (or looking it up) a second time.
    fn score_hashes(&self, hashes: &[u64], rows: Option<&[u32]>) -> [f32; CLASSES] {
        let mut acc = [0i32; CLASSES];
        match rows {
            Some(rows) => self.add_rows(rows, &mut acc),
            None => self.add(hashes, &mut acc),
        }
        let n = hashes.len();
        let scale = if self.spec.sqrt_scale && n > 0 { 1.0 / (n as f32).sqrt() } else { 1.0 };
        let mut z = self.bias;
        z.iter_mut().zip(acc).for_each(|(z, a)| *z += a as f32 * self.quantum * scale);
        z
    }

    /// Log-odds of every class for one normalised message (no allocation).
    fn score(&self, text: &str, tokens: &[Range<u32>]) -> [f32; CLASSES] {
        let mut acc = [0i32; CLASSES];
        let mut n = 0u32;
        if !self.table.is_empty() {
            // Hash a batch of features first, then look them all up: the lookups do not
            // depend on each other, so the processor overlaps their cache misses.
            let mut batch = [0u64; 64];
            let mut len = 0usize;
            let mut emit = |h: u64| {
                n += 1;
                batch[len] = h;
                len += 1;
                if len == batch.len() {
                    self.add(&batch, &mut acc);
                    len = 0;
                }
            };
            self.spec.for_each_hash(text, tokens, &mut emit);
            self.add(&batch[..len], &mut acc);
        }
        let scale = if self.spec.sqrt_scale && n > 0 { 1.0 / (n as f32).sqrt() } else { 1.0 };
        let mut z = self.bias;
        z.iter_mut().zip(acc).for_each(|(z, a)| *z += a as f32 * self.quantum * scale);
        z
    }
}

fn finite(r: &Record<'_>, v: &str) -> Result<f32, Error> {
    let x: f32 = r.num("weight", v)?;
    if !x.is_finite() {
        return Err(r.error("weights must be finite"));
    }
    Ok(x)
}

/// Softmax in place (max-shifted).
fn softmax<const N: usize>(z: &mut [f32; N]) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in z.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    if sum > 0.0 && sum.is_finite() {
        z.iter_mut().for_each(|x| *x /= sum);
    } else {
        z.fill(1.0 / N as f32);
    }
}

fn emotion(r: &Record<'_>, name: &str) -> Result<Emotion, Error> {
    Emotion::from_name(name).ok_or_else(|| {
        r.error(format!(
            "unknown emotion `{name}`; use anger, anxiety, impatience, disappointment, satisfaction or neutral"
        ))
    })
}

fn weight(r: &Record<'_>, w: &str) -> Result<f32, Error> {
    let x: f32 = r.num("weight", w)?;
    if !x.is_finite() || x.abs() > 100.0 {
        return Err(r.error(format!("`weight` must be a number in [-100, 100], found `{w}`")));
    }
    Ok(x)
}

impl EmotionStage {
    /// Parses and compiles the lexicons (a later source adds words to earlier ones and
    /// overrides a word or param they share) and the learned model, if any.
    pub(crate) fn build(
        lexicons: &[Source<'_>],
        model: Option<Source<'_>>,
    ) -> Result<EmotionStage, Error> {
        let model = model.map(Model::parse).transpose()?;
        let mut patterns: Vec<String> = Vec::new();
        let mut kinds: Vec<Kind> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut params = Params::default();
        let mut closes: Vec<String> = Vec::new();
        for &src in lexicons {
            for r in records(src, FORMAT)? {
                let first = r.col(0).unwrap_or("");
                let (pattern, kind) = match first {
                    "negator" => {
                        let [_, p] = r.cols::<2>("negator, word")?;
                        (p, Kind::Negator)
                    }
                    "contrast" => {
                        let [_, p] = r.cols::<2>("contrast, word")?;
                        (p, Kind::Contrast)
                    }
                    "sarcasm" => {
                        let [_, p] = r.cols::<2>("sarcasm, word")?;
                        (p, Kind::Sarcasm)
                    }
                    "degree" => {
                        let [_, p, w] = r.cols::<3>("degree, word, factor")?;
                        (p, Kind::Degree(weight(&r, w)?))
                    }
                    "emoji" => {
                        let [_, p, e, w] = r.cols::<4>("emoji, emoji, emotion, weight")?;
                        (p, Kind::Emoji { emotion: emotion(&r, e)?, weight: weight(&r, w)? })
                    }
                    "thanks" => {
                        let [_, p, w] = r.cols::<3>("thanks, word, weight")?;
                        (p, Kind::Thanks(weight(&r, w)?))
                    }
                    "request" => {
                        let [_, p] = r.cols::<2>("request, word")?;
                        (p, Kind::Request)
                    }
                    "frame" => {
                        let [_, p, c, e, w] =
                            r.cols::<5>("frame, opening word, closing word, emotion, weight")?;
                        if c.is_empty() || c.len() > 12 {
                            return Err(r.error(format!(
                                "closing word `{c}` must be 1 to 12 bytes; shorten it"
                            )));
                        }
                        let close = match closes.iter().position(|x| x == c) {
                            Some(i) => i,
                            None => {
                                closes.push(c.to_ascii_lowercase());
                                closes.len() - 1
                            }
                        };
                        let close = u8::try_from(close)
                            .map_err(|_| r.error("more than 256 distinct closing words"))?;
                        (p, Kind::Frame { close, emotion: emotion(&r, e)?, weight: weight(&r, w)? })
                    }
                    "param" => {
                        let [_, name, v] = r.cols::<3>("param, name, value")?;
                        params.set(&r, name, v)?;
                        continue;
                    }
                    _ => {
                        let [p, e, w] = r.cols::<3>("word, emotion, weight")?;
                        (p, Kind::Word { emotion: emotion(&r, e)?, weight: weight(&r, w)? })
                    }
                };
                if pattern.is_empty() {
                    return Err(r.error("empty word; give the word or drop the line"));
                }
                if pattern.len() > 64 {
                    return Err(r.error(format!(
                        "`{pattern}` is longer than 64 bytes; use a shorter word"
                    )));
                }
                // Text is ASCII-lower-cased by the normaliser; so are the patterns.
                let pattern = pattern.to_ascii_lowercase();
                match index.get(&pattern) {
                    Some(&i) => kinds[i] = kind,
                    None => {
                        index.insert(pattern.clone(), patterns.len());
                        patterns.push(pattern);
                        kinds.push(kind);
                    }
                }
            }
        }
        let automaton = Keywords::new(&patterns)?;
        Ok(EmotionStage { automaton, kinds, closes, params, model })
    }

    /// The learned model's spec and the feature hash of each of its rows, taken out of the
    /// stage (the engine joins them into the intent model's table; nothing else reads them).
    pub(crate) fn take_model_hashes(&mut self) -> Option<(FeatureSpec, Vec<u64>)> {
        self.model.as_mut().map(|m| (m.spec, std::mem::take(&mut m.hashes)))
    }

    /// Scores one normalised buyer message into `out`.
    pub(crate) fn score(
        &self,
        text: &str,
        tokens: &[Range<u32>],
        cues: &Cues,
        out: &mut EmotionScore,
    ) {
        self.score_with(text, tokens, cues, None, out);
    }

    /// [`EmotionStage::score`], reusing the feature hashes the intent stage computed for the
    /// same text when the model reads the same features (the result is identical).
    pub(crate) fn score_with(
        &self,
        text: &str,
        tokens: &[Range<u32>],
        cues: &Cues,
        shared: Option<Hashed<'_>>,
        out: &mut EmotionScore,
    ) {
        let p = &self.params;
        let bytes = text.as_bytes();
        // Evidence since the last contrast word, and before it.
        let mut s = [0.0f32; Emotion::COUNT];
        let mut before = [0.0f32; Emotion::COUNT];
        let mut contrast = false;
        // End of the last contrast word (byte offset).
        let mut contrast_end = 0usize;
        let mut emoji_text = [0.0f32; Emotion::COUNT];
        let mut emoji_seen = [0u8; Emotion::COUNT];
        let mut sarcastic = 0.0f32;
        let mut thanks = 0.0f32;
        let mut request = false;
        let mut degree_sum = 0.0f32;
        // Weight of negated emotion words, per emotion they name (`不担心`: anxiety).
        let mut against = [0.0f32; Emotion::COUNT];
        // End of the last negator / degree / sarcasm marker (byte offsets), and the factor.
        let mut neg_end: Option<usize> = None;
        let mut deg: Option<(usize, f32)> = None;
        let mut sarcasm_end: Option<usize> = None;
        let neg_window_bytes = (p.neg_window.max(0.0) as usize) * 3;
        // The model's weight rows, when the intent stage found them, are requested now: they
        // arrive while the lexicon is read.
        if let (Some(m), Some(rows)) = (&self.model, shared.and_then(|h| h.companion)) {
            m.prefetch_rows(rows);
        }

        if let Some(ac) = &self.automaton {
            for m in ac.find_iter(text) {
                let (start, end) = (m.start, m.end);
                let Some(&kind) = self.kinds.get(m.pattern) else { continue };
                match kind {
                    Kind::Negator => neg_end = Some(end),
                    Kind::Degree(f) => deg = Some((end, f)),
                    Kind::Sarcasm => sarcasm_end = Some(end),
                    Kind::Request => request = true,
                    Kind::Thanks(w) => {
                        let negated = neg_end.is_some_and(|n| {
                            start >= n
                                && start - n <= neg_window_bytes
                                && !has_break(&bytes[n..start])
                        });
                        if !negated {
                            thanks += w;
                        }
                    }
                    Kind::Frame { close, emotion, weight } => {
                        let Some(c) = self.closes.get(usize::from(close)) else { continue };
                        let stop = clause_end(bytes, end, 15);
                        if let Some(tail) = text.get(end..stop)
                            && tail.contains(c.as_str())
                        {
                            s[emotion.index()] += weight;
                        }
                    }
                    Kind::Contrast => {
                        contrast_end = end;
                        for (b, x) in before.iter_mut().zip(s.iter_mut()) {
                            *b = *b * p.contrast_keep + *x;
                            *x = 0.0;
                        }
                        against.iter_mut().for_each(|a| *a *= p.contrast_keep);
                        contrast = true;
                        neg_end = None;
                        deg = None;
                    }
                    Kind::Emoji { emotion, weight } => {
                        let e = emotion.index();
                        emoji_seen[e] = emoji_seen[e].saturating_add(1);
                        // Three of the same emoji say it; more add nothing.
                        if emoji_seen[e] <= 3 {
                            emoji_text[e] += weight;
                        }
                    }
                    Kind::Word { emotion, weight } => {
                        if weight == 0.0 {
                            continue;
                        }
                        // A one-character word counts only as a token of its own (`烦` but not
                        // the `烦` of `麻烦`, `操` but not `操作`).
                        if text[start..end].chars().nth(1).is_none()
                            && !tokens.is_empty()
                            && tokens
                                .binary_search_by_key(&(start as u32), |t| t.start)
                                .map_or(true, |i| tokens[i].end as usize != end)
                        {
                            continue;
                        }
                        let mut w = weight;
                        if let Some((d_end, f)) = deg
                            && start >= d_end
                            && start - d_end <= 3
                            && !has_break(&bytes[d_end..start])
                        {
                            w *= f;
                            degree_sum += f - 1.0;
                        }
                        let negated = neg_end.is_some_and(|n| {
                            start >= n
                                && start - n <= neg_window_bytes
                                && !has_break(&bytes[n..start])
                        });
                        let mut e = emotion.index();
                        if negated {
                            against[emotion.index()] += w;
                            match emotion {
                                Emotion::Satisfaction => {
                                    e = DISAPPOINTMENT;
                                    w *= p.negated_praise;
                                }
                                // Not worried is no emotion at all (不担心, 不怕).
                                Emotion::Anxiety => w = 0.0,
                                Emotion::Neutral => {}
                                _ => {
                                    e = SATISFACTION;
                                    w *= p.negated_complaint;
                                }
                            }
                        }
                        // Praise asked about is doubt: 好看吗, 舒服吗.
                        if e == SATISFACTION
                            && !negated
                            && (text[end..].starts_with('吗') || text[end..].starts_with('么'))
                        {
                            s[ANXIETY] += w * p.praise_question;
                            deg = None;
                            continue;
                        }
                        let sarcasm = e == SATISFACTION
                            && !negated
                            && sarcasm_end.is_some_and(|n| {
                                start >= n && start - n <= 6 && !has_break(&bytes[n..start])
                            });
                        if sarcasm {
                            sarcastic += w;
                        } else {
                            s[e] += w;
                        }
                        deg = None;
                    }
                }
            }
        }
        // The clause after the last contrast word decides when it says anything.
        if contrast {
            let after: f32 = s[..NEUTRAL].iter().map(|x| x.abs()).sum();
            for (x, b) in s.iter_mut().zip(before) {
                *x = if after > 0.0 { *x + b * p.contrast_keep } else { *x + b };
            }
        }
        s[SATISFACTION] += if request { thanks * p.request_thanks } else { thanks };
        for x in &mut s {
            *x = x.max(0.0);
        }
        // Emoji: from the text, or the normaliser's cues when it removed them. A crying face
        // on a worried question is worry (`还能退吗😭`); a smile or 🙏 on a complaint is
        // politeness, not praise.
        let mut emoji = [0.0f32; NEUTRAL];
        for (e, x) in emoji.iter_mut().enumerate() {
            let cue = f32::from(cues.emoji[e].min(3)) * p.emoji_cue[e];
            *x = emoji_text[e].max(cue);
        }
        if s[ANXIETY] > s[DISAPPOINTMENT] {
            emoji[ANXIETY] += emoji[DISAPPOINTMENT];
            emoji[DISAPPOINTMENT] = 0.0;
        }
        if s[ANGER] + s[IMPATIENCE] + s[DISAPPOINTMENT] + s[ANXIETY] > s[SATISFACTION] {
            emoji[SATISFACTION] = 0.0;
        }
        for (x, e) in s.iter_mut().zip(emoji) {
            *x += e;
        }
        // A word said again right away is pressing: 人工人工人工, 在吗在吗.
        match repeated_word(text, tokens) {
            0 => {}
            1 => s[IMPATIENCE] += 0.5 * p.repeat,
            _ => s[IMPATIENCE] += p.repeat,
        }
        let negative = s[ANGER] + s[IMPATIENCE] + s[DISAPPOINTMENT] + s[ANXIETY];
        if sarcastic > 0.0 {
            if negative > 0.0 || cues.exclaim >= 2 || cues.question >= 2 {
                s[ANGER] += sarcastic + 0.5;
            } else {
                s[SATISFACTION] += sarcastic;
            }
        }
        let negative = s[ANGER] + s[IMPATIENCE] + s[DISAPPOINTMENT] + s[ANXIETY];
        let exclaim = f32::from(cues.exclaim.min(5));
        let questions = f32::from(cues.question.saturating_sub(1).min(4));
        if negative > s[SATISFACTION] && negative > 0.0 {
            // Shouting and ??? make a complaint angrier; worry and urging stay what they are
            // unless the shouting is heavy.
            let angry_share = if s[ANGER] > 0.0 { 1.0 } else { 0.6 };
            s[ANGER] += angry_share * (p.exclaim_anger * exclaim + p.question_run * questions);
        } else if negative == 0.0 && s[SATISFACTION] == 0.0 {
            if cues.exclaim >= 3 {
                s[ANGER] += p.exclaim_alone;
            } else if cues.question >= 3 {
                s[IMPATIENCE] += p.exclaim_alone;
            }
        }

        s[NEUTRAL] = p.neutral_base.max(1e-3);
        let extra = p.exclaim_intensity * exclaim
            + p.folded_intensity * f32::from(cues.folded.min(5))
            + 0.05 * degree_sum.clamp(0.0, 2.0);
        *out = match &self.model {
            None => self.lexicon_only(&s, extra),
            Some(m) => {
                let mut z = match shared {
                    Some(h) if h.spec == m.spec => m.score_hashes(h.hashes, h.companion),
                    _ => m.score(text, tokens),
                };
                // The model reads bags of n-grams: after a contrast word, the clause after it
                // decides (`外观不错，但是用了两天就坏了`), as in the lexicon.
                if contrast
                    && p.contrast_model > 0.0
                    && let Some(tail) = text.get(contrast_end..)
                    && !tail.trim().is_empty()
                {
                    let za = m.score_tail(text, tokens, contrast_end);
                    let k = p.contrast_model.min(1.0);
                    z.iter_mut().zip(za).for_each(|(x, a)| *x = (1.0 - k) * *x + k * a);
                }
                self.fused(z, &s, &against, extra)
            }
        };
    }

    /// Label, scores, valence and intensity from the lexicon evidence `s` alone: the evidence
    /// normalised together with a constant neutral mass.
    fn lexicon_only(&self, s: &[f32; Emotion::COUNT], extra: f32) -> EmotionScore {
        let p = &self.params;
        let total: f32 = s.iter().sum();
        let mut best = NEUTRAL;
        let mut top = s[NEUTRAL];
        for (e, &x) in s.iter().enumerate().take(NEUTRAL) {
            let x = if e == ANGER { x * p.anger_bias } else { x };
            if x > top {
                best = e;
                top = x;
            }
        }
        let scores = s.map(|x| x / total);
        let valence: f32 = scores.iter().zip(VALENCE).map(|(x, v)| x * v).sum();
        let evidence: f32 = if best == NEUTRAL {
            0.0
        } else {
            let rest: f32 = s[..NEUTRAL].iter().sum::<f32>() - s[best];
            s[best] + 0.3 * rest
        };
        let mut intensity = 1.0 - (-evidence / p.intensity_scale.max(1e-3)).exp();
        if best != NEUTRAL {
            intensity += extra;
        }
        finish(Emotion::ALL[best], valence, intensity, scores)
    }

    /// The learned model's log-odds `z` fused with the lexicon evidence `s`: the label is the
    /// largest `model_emotion * z + lexicon_emotion * s` (anger weighted by `anger_bias`,
    /// neutral's lexicon evidence being `neutral_base`); valence is P(positive) - P(negative)
    /// of the valence classes, whose log-odds the lexicon's negative and positive evidence
    /// moves by `lexicon_valence`, times 1 - P(neutral) of the label. A negated emotion word (`against`) counts against its
    /// emotion by `negated_against` times its weight: the model's n-grams do not see that
    /// `不担心` is no worry.
    fn fused(
        &self,
        z: [f32; CLASSES],
        s: &[f32; Emotion::COUNT],
        against: &[f32; Emotion::COUNT],
        extra: f32,
    ) -> EmotionScore {
        let p = &self.params;
        let mut f = [0.0f32; Emotion::COUNT];
        for (e, x) in f.iter_mut().enumerate() {
            let lex = if e == ANGER { s[e] * p.anger_bias } else { s[e] };
            *x = p.model_emotion * z[3 + e]
                + p.lexicon_emotion * (lex - p.negated_against * against[e]);
        }
        let mut best = NEUTRAL;
        for e in 0..NEUTRAL {
            if f[e] > f[best] {
                best = e;
            }
        }
        if best == ANGER {
            let mut second = NEUTRAL;
            for e in 1..NEUTRAL {
                if f[e] > f[second] {
                    second = e;
                }
            }
            if f[ANGER] < f[second] + p.anger_margin {
                best = second;
            }
        }
        let mut scores = f;
        softmax(&mut scores);
        let negative = s[ANGER] + s[ANXIETY] + s[IMPATIENCE] + s[DISAPPOINTMENT]
            - p.negated_against * against[..SATISFACTION].iter().sum::<f32>();
        let positive = s[SATISFACTION] - p.negated_against * against[SATISFACTION];
        let mut v = [
            z[0] + p.lexicon_valence * negative,
            z[1] + p.lexicon_valence * s[NEUTRAL],
            z[2] + p.lexicon_valence * positive,
        ];
        softmax(&mut v);
        // Damped by the label's certainty that there is no emotion: a calm question reads
        // near 0 whatever words it shares with reviews; the sign stays the valence model's.
        let valence = (v[2] - v[0]) * (1.0 - scores[NEUTRAL]);
        let mut intensity = 0.0;
        if best != NEUTRAL {
            let rest: f32 = s[..NEUTRAL].iter().sum::<f32>() - s[best];
            let model_margin = z[3 + best] - z[3 + NEUTRAL];
            let evidence = s[best] + 0.3 * rest + p.model_intensity * model_margin.max(0.0);
            intensity = 1.0 - (-evidence / p.intensity_scale.max(1e-3)).exp() + extra;
        }
        finish(Emotion::ALL[best], valence, intensity, scores)
    }
}

/// An [`EmotionScore`] with valence and intensity clamped to their ranges (0 if not finite).
fn finish(
    label: Emotion,
    valence: f32,
    intensity: f32,
    scores: [f32; Emotion::COUNT],
) -> EmotionScore {
    EmotionScore {
        label,
        valence: if valence.is_finite() { valence.clamp(-1.0, 1.0) } else { 0.0 },
        intensity: if intensity.is_finite() { intensity.clamp(0.0, 1.0) } else { 0.0 },
        scores,
    }
}

/// Whether a clause break (punctuation or space) lies in `gap`.
fn has_break(gap: &[u8]) -> bool {
    // ASCII punctuation after the normaliser's half-width folding, plus 。、 (U+3002, U+3001,
    // both start with E3 80 8x in UTF-8).
    gap.iter().any(|&b| matches!(b, b',' | b'.' | b'!' | b'?' | b';' | b' ' | b'~' | b'\n'))
        || gap.windows(3).any(|w| w[0] == 0xE3 && w[1] == 0x80 && (w[2] == 0x81 || w[2] == 0x82))
}

/// The end of the clause that starts at `from`, looking at most `max` bytes ahead.
fn clause_end(bytes: &[u8], from: usize, max: usize) -> usize {
    let limit = (from + max).min(bytes.len());
    (from..limit)
        .find(|&i| {
            let b = bytes[i];
            matches!(b, b',' | b'.' | b'!' | b'?' | b';' | b' ' | b'~' | b'\n')
                || (b == 0xE3 && bytes.get(i + 1) == Some(&0x80))
                    && matches!(bytes.get(i + 2), Some(0x81 | 0x82))
        })
        .unwrap_or(limit)
}

/// How often a piece of two to four characters starting at a token is said again right after
/// it: 0 (never), 1 (`改地址改地址`) or 2 (`人工人工人工`). Pieces of one repeated character
/// (`哈哈`, `谢谢`) and greetings said twice (`你好你好`) do not count.
fn repeated_word(text: &str, tokens: &[Range<u32>]) -> u8 {
    let mut best = 0u8;
    for t in tokens {
        let i = t.start as usize;
        let Some(rest) = text.get(i..) else { continue };
        let rb = rest.as_bytes();
        // The byte lengths of the pieces of 2, 3 and 4 characters, decoded in one pass.
        for len in rest.char_indices().map(|(k, _)| k).skip(2).take(3) {
            // Equal bytes after a piece that ends on a character boundary are the same piece
            // again (and end on a boundary themselves), so comparing bytes is enough.
            // The last byte first: most pieces differ there, and the check needs no call.
            if rb.get(2 * len - 1) != rb.get(len - 1) || rb.get(len..2 * len) != rb.get(..len) {
                continue;
            }
            let a = &rest[..len];
            let mut cs = a.chars();
            let first = cs.next();
            if !cs.any(|c| Some(c) != first) || a.is_ascii() || a == "你好" {
                continue;
            }
            let third = rest.get(2 * len..3 * len) == Some(a);
            best = best.max(if third { 2 } else { 1 });
        }
    }
    best
}

#[cfg(all(test, feature = "default-data"))]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::data::embedded;
    use crate::pipeline::normalize::Normalizer;
    use crate::pipeline::tokenize::Tokenizer;

    struct Fixture {
        normalizer: Normalizer,
        tokenizer: Tokenizer,
        stage: EmotionStage,
    }

    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| Fixture {
            normalizer: Normalizer::new(),
            tokenizer: Tokenizer::build(&[("data/user_dict.txt", embedded::USER_DICT)], &[], false)
                .expect("default user dictionary builds"),
            stage: EmotionStage::build(
                &[("data/emotion.tsv", embedded::EMOTION)],
                Some(("data/emotion_model.tsv", embedded::EMOTION_MODEL)),
            )
            .expect("default emotion lexicon and model build"),
        })
    }

    fn run_with(stage: &EmotionStage, raw: &str) -> EmotionScore {
        let f = fixture();
        let mut text = String::new();
        let mut tokens = Vec::new();
        let cues = f.normalizer.run(raw, &mut text);
        f.tokenizer.cut(&text, &mut tokens);
        let mut out = EmotionScore::default();
        stage.score(&text, &tokens, &cues, &mut out);
        out
    }

    /// `repeated_word` decodes each token's characters once; it answers what the former
    /// version (a fresh `char_indices().nth(n)` and a string compare per length) answered, on
    /// every sample message and on repetitions of every shape.
    #[test]
    fn repeated_word_matches_the_plain_version() {
        fn plain(text: &str, tokens: &[Range<u32>]) -> u8 {
            let mut best = 0u8;
            for t in tokens {
                let Some(rest) = text.get(t.start as usize..) else { continue };
                for n in 2..=4 {
                    let Some((len, _)) = rest.char_indices().nth(n) else { break };
                    let (Some(a), Some(b)) = (rest.get(..len), rest.get(len..2 * len)) else {
                        continue;
                    };
                    let mut cs = a.chars();
                    let first = cs.next();
                    if a != b || !cs.any(|c| Some(c) != first) || a.is_ascii() || a == "你好" {
                        continue;
                    }
                    let third = rest.get(2 * len..3 * len) == Some(a);
                    best = best.max(if third { 2 } else { 1 });
                }
            }
            best
        }
        let f = fixture();
        let (mut text, mut tokens) = (String::new(), Vec::new());
        let extra = [
            "改地址改地址",
            "人工人工人工",
            "哈哈哈哈",
            "你好你好",
            "退款退款退款退款",
            "ab😡ab😡",
            "快点快点",
            "发货了吗发货了吗",
            "好好",
            "é1é1é1",
            "在吗在吗在",
            "x",
        ];
        let mut hits = 0;
        for raw in include_str!("../../data/samples/messages.txt").lines().chain(extra) {
            f.normalizer.run(raw, &mut text);
            f.tokenizer.cut(&text, &mut tokens);
            let r = repeated_word(&text, &tokens);
            assert_eq!(r, plain(&text, &tokens), "{raw}");
            // Every token start as a token of its own too (starts jieba would not give).
            let all: Vec<Range<u32>> = (0..text.len() as u32).map(|i| i..i + 1).collect();
            assert_eq!(repeated_word(&text, &all), plain(&text, &all), "{raw}");
            hits += usize::from(r > 0);
        }
        assert!(hits >= 3);
    }

    fn run(raw: &str) -> EmotionScore {
        run_with(&fixture().stage, raw)
    }

    fn check(e: &EmotionScore, raw: &str) {
        let sum: f32 = e.scores.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "{raw}: scores sum to {sum}");
        assert!((-1.0..=1.0).contains(&e.valence), "{raw}: valence {}", e.valence);
        assert!((0.0..=1.0).contains(&e.intensity), "{raw}: intensity {}", e.intensity);
    }

    /// (message, expected label).
    const LABELS: &[(&str, &str)] = &[
        // anger: insults, accusations, threats, shouting
        ("你们是骗子吧！！！", "anger"),
        ("垃圾店铺，气死我了", "anger"),
        ("卖假货，我要举报你们", "anger"),
        ("恶心的店，再也不来了", "anger"),
        ("凭什么不给退？！", "anger"),
        ("耍我呢？都五天了还没发", "anger"),
        ("什么垃圾客服，问半天不回", "anger"),
        ("沙发上有个大洞！！！", "anger"),
        ("呵呵，真是好服务啊，三天没人回", "anger"),
        // anxiety
        ("会不会掉色啊", "anxiety"),
        ("担心买小了", "anxiety"),
        ("这个靠谱吗，真的假的", "anxiety"),
        ("是正品吗？怕买到假货", "anxiety"),
        ("这件衣服显胖吗？", "anxiety"),
        // impatience
        ("快点发货", "impatience"),
        ("都几天了怎么还不发", "impatience"),
        ("急用，赶紧发", "impatience"),
        ("人工人工人工", "impatience"),
        // disappointment
        ("好失望", "disappointment"),
        ("唉，跟图片差太多了", "disappointment"),
        ("有点后悔买了，心累", "disappointment"),
        ("不满意", "disappointment"),
        ("一点都不喜欢", "disappointment"),
        // satisfaction
        ("谢谢亲", "satisfaction"),
        ("很满意，五星好评👍", "satisfaction"),
        ("东西不错，喜欢", "satisfaction"),
        ("收到了，没有破损，挺好的", "satisfaction"),
        ("很喜欢！但是颜色想换成蓝色的可以吗", "satisfaction"),
        ("物流好快👍", "satisfaction"),
        // neutral: plain questions and requests
        ("在吗", "neutral"),
        ("什么时候发货", "neutral"),
        ("这个是什么面料", "neutral"),
        ("请开发票，谢谢", "neutral"),
        ("麻烦帮我改一下地址", "neutral"),
        ("退货退款怎么操作", "neutral"),
        ("收件人改成我妈的名字", "neutral"),
        ("", "neutral"),
        ("👌", "neutral"),
    ];

    #[test]
    fn labels() {
        let mut bad = Vec::new();
        for &(raw, want) in LABELS {
            let e = run(raw);
            check(&e, raw);
            if e.label.as_str() != want {
                bad.push(format!("{raw}: got {} want {want} ({:?})", e.label.as_str(), e.scores));
            }
        }
        assert!(
            bad.is_empty(),
            "help: adjust the words or weights in data/emotion.tsv:\n{}",
            bad.join("\n")
        );
    }

    /// (message, valence sign: -1, 0 or 1, intensity range).
    const VALENCE: &[(&str, i8, f32, f32)] = &[
        // An explicit insult or accusation reaches the hand-off threshold (0.6).
        ("你们是骗子吧！！！", -1, 0.6, 1.0),
        ("垃圾店铺，气死我了", -1, 0.6, 1.0),
        // Annoyed at the courier: negative, moderate.
        ("气死了，快递怎么这么慢", -1, 0.25, 0.6),
        // A calm question is near zero.
        ("什么时候发货", 0, 0.0, 0.05),
        ("这个有货吗", 0, 0.0, 0.05),
        // Negation.
        ("不满意", -1, 0.2, 0.7),
        ("没有破损，挺好的", 1, 0.2, 0.8),
        // Contrast: the learned valence reads the whole message (on reviews, weighting the
        // clause after the contrast word lost accuracy in cross-validation; see
        // `contrast_model`); the lexicon's own contrast rule is tested in `lexicon_contrast`.
        ("价格有点贵，不过质量很好", 1, 0.2, 0.8),
        // Praise.
        ("非常满意，谢谢", 1, 0.4, 1.0),
    ];

    #[test]
    fn valence_and_intensity() {
        for &(raw, sign, lo, hi) in VALENCE {
            let e = run(raw);
            check(&e, raw);
            let got = if e.valence > 0.05 {
                1
            } else if e.valence < -0.05 {
                -1
            } else {
                0
            };
            assert_eq!(got, sign, "{raw}: valence {} ({:?})", e.valence, e.label);
            assert!(
                (lo..=hi).contains(&e.intensity),
                "{raw}: intensity {} not in [{lo}, {hi}] ({:?})",
                e.intensity,
                e.label
            );
        }
    }

    #[test]
    fn lexicon_contrast() {
        let lexicon_only =
            EmotionStage::build(&[("data/emotion.tsv", embedded::EMOTION)], None).unwrap();
        let e = run_with(&lexicon_only, "包装没破损，但是里面的瓶子碎了");
        assert!(e.valence < -0.05, "{e:?}");
        let e = run_with(&lexicon_only, "价格有点贵，不过质量很好");
        assert!(e.valence > 0.05, "{e:?}");
        // With `contrast_model` the learned scores follow the clause after the contrast too.
        let extra = "#format emotion v1\nparam\tcontrast_model\t1\n";
        let stage = EmotionStage::build(
            &[("data/emotion.tsv", embedded::EMOTION), ("m.tsv", extra)],
            Some(("data/emotion_model.tsv", embedded::EMOTION_MODEL)),
        )
        .unwrap();
        let text = "外观不错，但是用了两天就坏了";
        assert!(run_with(&stage, text).valence < run(text).valence);
    }

    #[test]
    fn negated_worry_is_no_worry() {
        let not = run("不担心");
        let worried = run("担心");
        assert_eq!(not.label, Emotion::Neutral, "{not:?}");
        assert_eq!(not.intensity, 0.0, "{not:?}");
        assert_eq!(worried.label, Emotion::Anxiety, "{worried:?}");
        assert!(not.valence.abs() < worried.valence.abs(), "{not:?} vs {worried:?}");
    }

    #[test]
    fn the_model_reads_reviews() {
        // Long review text, where the lexicon alone has little to say: the learned valence
        // decides the sign.
        for (text, sign) in [
            ("房间干净，早餐丰富，前台服务热情，交通也方便，下次还住这家", 1.0),
            ("送餐慢了一个多小时，饭菜都凉了，味道也一般般，不会再点了", -1.0),
            ("用了一个星期就开不了机，客服推来推去，浪费钱", -1.0),
            ("宝贝收到了，和描述一致，做工精细，性价比很高", 1.0),
        ] {
            let e = run(text);
            check(&e, text);
            assert!(e.valence * sign > 0.0, "{text}: {e:?}");
        }
    }

    #[test]
    fn model_and_lexicon_fuse() {
        let f = fixture();
        let lexicon_only =
            EmotionStage::build(&[("data/emotion.tsv", embedded::EMOTION)], None).unwrap();
        // The stage with a model differs from the lexicon alone somewhere, and both give
        // well-formed scores.
        let texts = ["物流太慢了", "质量一般般吧", "宝贝不错", "这个会不会起球", "什么时候发货"];
        let mut differ = false;
        for t in texts {
            let a = run_with(&f.stage, t);
            let b = run_with(&lexicon_only, t);
            check(&a, t);
            check(&b, t);
            differ |= a != b;
        }
        assert!(differ);
        // A model file with a bad line names it.
        for (text, what) in [
            ("#format emotion_model v1\n@features\tw\n@classes\tjoy\n", "unknown class `joy`"),
            ("#format emotion_model v1\n@classes\tanger\n", "no `@features`"),
            ("#format emotion_model v1\n@features\tw\nw:a\t1\n", "before `@classes`"),
            ("#format emotion_model v1\n@classes\tanger\tneutral\nw:a\t1\n", "1 weights for 2"),
            ("#format emotion_model v1\n@classes\tanger\nw:a\tx\n", "must be a number"),
            ("#format emotion_model v1\n@classes\tanger\n@bias\t1\t2\n", "one value per class"),
            ("#format emotion_model v1\n@classes\tanger\n@nope\n", "unknown directive"),
            ("#format emotion_model v1\n@features\tw\n@classes\tanger\nw:a\t1\nw:a\t2\n", "w:a"),
        ] {
            let e = EmotionStage::build(&[], Some(("m.tsv", text))).unwrap_err().to_string();
            assert!(e.starts_with("m.tsv:"), "{e}");
            assert!(e.contains(what), "{e} should say {what}");
        }
        // A tiny hand-written model: one feature for anger.
        let tiny = "#format emotion_model v1\n@classes\tanger\tneutral\tvalence_negative\n@features\tw\tc1\n@bias\t0\t1\t0\nc1:呸\t20\t0\t5\n";
        let stage = EmotionStage::build(&[], Some(("tiny.tsv", tiny))).unwrap();
        let e = run_with(&stage, "呸");
        assert_eq!(e.label, Emotion::Anger, "{e:?}");
        assert!(e.valence < 0.0, "{e:?}");
        assert_eq!(run_with(&stage, "好").label, Emotion::Neutral);
    }

    #[test]
    fn degree_words_multiply() {
        let plain = run("失望");
        let very = run("非常失望");
        let bit = run("有一点失望");
        assert!(very.intensity > plain.intensity, "{very:?} vs {plain:?}");
        assert!(bit.intensity < plain.intensity, "{bit:?} vs {plain:?}");
        assert!(very.valence < plain.valence);
    }

    #[test]
    fn shouting_raises_intensity() {
        let calm = run("怎么还不发货");
        let loud = run("怎么还不发货！！！");
        assert!(loud.intensity > calm.intensity, "{loud:?} vs {calm:?}");
        let folded = run("急急急急急急");
        assert_eq!(folded.label, Emotion::Impatience);
    }

    #[test]
    fn merchant_words_add_to_the_defaults() {
        let extra = "#format emotion v1\n智商税\tanger\t3\n淡定哥\tsatisfaction\t2\nparam\tneutral_base\t1.5\n";
        let stage = EmotionStage::build(
            &[("data/emotion.tsv", embedded::EMOTION), ("merchant.tsv", extra)],
            Some(("data/emotion_model.tsv", embedded::EMOTION_MODEL)),
        )
        .unwrap();
        assert_eq!(run_with(&stage, "淡定哥").label, Emotion::Satisfaction);
        assert_eq!(run_with(&stage, "谢谢").label, Emotion::Satisfaction);
        assert_eq!(run_with(&stage, "纯属智商税").label, Emotion::Anger);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        for (text, what) in [
            ("#format emotion v1\n好\tjoy\t1\n", "unknown emotion `joy`"),
            ("#format emotion v1\n\n好\tsatisfaction\tx\n", "`weight` must be a number"),
            ("#format emotion v1\ndegree\t很\n", "expected 3"),
            ("#format emotion v1\nparam\tnope\t1\n", "unknown param"),
            ("#format emotion v1\nparam\tneutral_base\t-1\n", ">= 0"),
            ("#format emotion v1\nemoji\t😡\trage\t1\n", "unknown emotion"),
        ] {
            let e = EmotionStage::build(&[("m.tsv", text)], None).unwrap_err().to_string();
            assert!(e.starts_with("m.tsv:"), "{e}");
            assert!(e.contains(what), "{e} should say {what}");
        }
        assert!(EmotionStage::build(&[("m.tsv", "#format emotion v0\n")], None).is_err());
        let empty = EmotionStage::build(&[], None).unwrap();
        let mut out = EmotionScore::default();
        empty.score("随便", &[], &Cues::default(), &mut out);
        assert_eq!(out.label, Emotion::Neutral);
    }

    #[test]
    fn no_panic_on_odd_input() {
        let long = "垃圾！".repeat(4000);
        let inputs = [
            "",
            " ",
            "😡😡😡😡😡😡😡😡",
            "\u{0}\u{7}\u{200b}",
            "不不不不不不不",
            "但是但是但是",
            "真是",
            "会",
            "吗会",
            "mixed english 不错 ok?!",
            long.as_str(),
        ];
        for raw in inputs {
            check(&run(raw), raw);
        }
        // Spans that do not tile the text, or are out of range, are ignored without a panic.
        let mut out = EmotionScore::default();
        let stage = &fixture().stage;
        stage.score(
            "烦死了",
            &[0..1, 7..99, Range { start: 5, end: 2 }],
            &Cues::default(),
            &mut out,
        );
        check(&out, "bad spans");
        let cues =
            Cues { exclaim: 255, question: 255, folded: 255, emoji: [255; 6], ..Cues::default() };
        stage.score("", &[], &cues, &mut out);
        check(&out, "saturated cues");
    }
}
