//! The optional hidden layer of an `intent_model v1`: one layer of ReLU units over the
//! message's TF-IDF vector, whose output scores are mixed with the linear model's.
//!
//! ```text
//! @hidden → UNITS → MIX                     (MIX = λ in [0, 1])
//! @hidden_bias → b_1 → … → b_UNITS
//! @output → INTENT → w_1 → … → w_UNITS      (one line per intent of @intents)
//! @output_bias → c_1 → … → c_K              (one per intent, in @intents order)
//! @input → FEATURE → IDF → w_1 → … → w_UNITS
//! ```
//!
//! For a message whose features (as the `@features` line computes them, every occurrence
//! counted) include the `@input` features `f` with counts `n_f`:
//!
//! ```text
//! x_f    = n_f * IDF_f / sqrt(sum over f of (n_f * IDF_f)^2)      (L2-normalised TF-IDF)
//! a_j    = max(0, b_j + sum over f of x_f * w_fj)                 (the hidden units)
//! mlp_c  = c_c + sum over j of a_j * output_cj
//! score_c = (1 - MIX) * linear_c + MIX * mlp_c
//! ```
//!
//! where `linear_c` is the linear model's calibrated score. Mixing the scores (log-linear
//! fusion of the two models' probabilities) keeps every later step of the intent stage, rules
//! and thresholds included, exactly as for a linear model. Files without `@hidden` are plain
//! linear models; the layer is opt-in (`IntentTrainer::hidden`).

use crate::data::Record;
use crate::error::Error;

use super::intent::{build_table, hash_str, probe};

/// Most hidden units a model may declare (a bound on the layer's memory and cost).
pub(crate) const MAX_UNITS: usize = 1024;

/// A parsed hidden layer, with `MIX` folded into its output weights.
#[derive(Debug, Clone, Default)]
pub(crate) struct HiddenLayer {
    units: usize,
    mix: f32,
    /// Declared by the `@hidden` line (the other lines are checked against it).
    line: usize,
    bias: Vec<f32>,
    /// `units` rows of `classes` weights, already multiplied by `mix`.
    output: Vec<f32>,
    output_seen: Vec<bool>,
    /// Per class, multiplied by `mix`.
    output_bias: Vec<f32>,
    output_bias_seen: bool,
    /// Per input row: `units` weights.
    input: Vec<f32>,
    idf: Vec<f32>,
    /// Hash of each input feature's name -> input row (see [`build_table`]).
    table: Vec<u64>,
    /// The names' hashes, until [`HiddenLayer::finish`] builds the table.
    hashes: Vec<u64>,
}

/// Buffers for [`HiddenLayer::add`], reused across calls.
#[derive(Debug, Default, Clone)]
pub(crate) struct HiddenScratch {
    rows: Vec<u32>,
    act: Vec<f32>,
}

impl HiddenLayer {
    /// Parses the `@hidden` line.
    pub(crate) fn declare(r: &Record<'_>, classes: usize) -> Result<HiddenLayer, Error> {
        let mut cols = r.text.split('\t').skip(1);
        let units: usize = r.num("units", cols.next().unwrap_or(""))?;
        if !(1..=MAX_UNITS).contains(&units) {
            return Err(
                r.error(format!("`@hidden` declares {units} units; expected 1 to {MAX_UNITS}"))
            );
        }
        let mix: f32 = r.num("mix", cols.next().unwrap_or(""))?;
        if !(0.0..=1.0).contains(&mix) {
            return Err(r.error(format!("`@hidden` mix {mix} must be from 0 to 1")));
        }
        Ok(HiddenLayer {
            units,
            mix,
            line: r.line,
            bias: vec![0.0; units],
            output: vec![0.0; units * classes],
            output_seen: vec![false; classes],
            output_bias: vec![0.0; classes],
            ..HiddenLayer::default()
        })
    }

    /// `units` finite numbers from `cols`, or an error naming `what`.
    fn values<'a>(
        r: &Record<'_>,
        what: &str,
        cols: impl Iterator<Item = &'a str>,
        n: usize,
        out: &mut Vec<f32>,
    ) -> Result<(), Error> {
        let start = out.len();
        for c in cols {
            let x: f32 = r.num(what, c)?;
            if !x.is_finite() {
                return Err(r.error(format!("`{what}` values must be finite")));
            }
            out.push(x);
        }
        if out.len() - start != n {
            let found = out.len() - start;
            out.truncate(start);
            return Err(r.error(format!("`{what}` has {found} values; expected {n}")));
        }
        Ok(())
    }

    /// Parses one of the layer's lines (`key` is its first column); `class` maps an intent
    /// name to its index.
    pub(crate) fn line(
        &mut self,
        r: &Record<'_>,
        key: &str,
        class: impl Fn(&str) -> Option<u16>,
    ) -> Result<(), Error> {
        let mut cols = r.text.split('\t').skip(1);
        let (h, k) = (self.units, self.output_seen.len());
        match key {
            "@hidden_bias" => {
                let mut v = Vec::with_capacity(h);
                Self::values(r, "hidden_bias", cols, h, &mut v)?;
                self.bias = v;
            }
            "@output_bias" => {
                let mut v = Vec::with_capacity(k);
                Self::values(r, "output_bias", cols, k, &mut v)?;
                self.output_bias = v.iter().map(|x| x * self.mix).collect();
                self.output_bias_seen = true;
            }
            "@output" => {
                let name = cols.next().unwrap_or("").trim();
                let c = class(name).ok_or_else(|| {
                    r.error(format!("intent `{name}` is not listed on the `@intents` line"))
                })? as usize;
                if std::mem::replace(&mut self.output_seen[c], true) {
                    return Err(r.error(format!("a second `@output` line for `{name}`")));
                }
                let mut v = Vec::with_capacity(h);
                Self::values(r, "output", cols, h, &mut v)?;
                for (j, x) in v.into_iter().enumerate() {
                    self.output[j * k + c] = x * self.mix;
                }
            }
            _ => {
                // "@input"
                let name = cols.next().unwrap_or("").trim();
                if name.is_empty() {
                    return Err(r.error("`@input` needs a feature name"));
                }
                let idf: f32 = r.num("idf", cols.next().unwrap_or(""))?;
                if !(idf.is_finite() && idf >= 0.0) {
                    return Err(r.error("`idf` must be a finite number of at least 0"));
                }
                Self::values(r, "input", cols, h, &mut self.input)?;
                self.idf.push(idf);
                self.hashes.push(hash_str(name));
            }
        }
        Ok(())
    }

    /// Checks that every part was given and builds the lookup table.
    pub(crate) fn finish(&mut self, file: &str, labels: &[String]) -> Result<(), Error> {
        if let Some(c) = self.output_seen.iter().position(|s| !s) {
            return Err(Error::parse(
                file,
                self.line,
                format!("the hidden layer has no `@output` line for `{}`", labels[c]),
            ));
        }
        if !self.output_bias_seen {
            return Err(Error::parse(
                file,
                self.line,
                "the hidden layer has no `@output_bias` line",
            ));
        }
        let mut sorted = self.hashes.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::parse(file, self.line, "two `@input` lines name the same feature"));
        }
        self.table = build_table(self.hashes.iter().enumerate().map(|(i, &h)| (h, i as u32)));
        self.hashes = Vec::new();
        Ok(())
    }

    /// Scales the linear part by `1 - MIX` (applied to the linear weights at parse time).
    pub(crate) fn linear_factor(&self) -> f32 {
        1.0 - self.mix
    }

    /// Adds `MIX * mlp_c` to `logits[c]` for the message whose feature hashes are `hashes`.
    pub(crate) fn add(&self, hashes: &[u64], scratch: &mut HiddenScratch, logits: &mut [f32]) {
        let (h, k) = (self.units, self.output_seen.len());
        scratch.rows.clear();
        scratch.rows.extend(hashes.iter().filter_map(|&x| probe(&self.table, x)));
        scratch.rows.sort_unstable();
        scratch.act.clear();
        scratch.act.resize(h, 0.0);
        let act = &mut scratch.act[..];
        let mut norm2 = 0.0f32;
        let mut i = 0;
        let rows = &scratch.rows;
        while i < rows.len() {
            let r = rows[i];
            let mut n = 1;
            while rows.get(i + n) == Some(&r) {
                n += 1;
            }
            i += n;
            let v = n as f32 * self.idf[r as usize];
            norm2 += v * v;
            let w = &self.input[r as usize * h..(r as usize + 1) * h];
            act.iter_mut().zip(w).for_each(|(a, w)| *a += v * w);
        }
        let inv = if norm2 > 0.0 { 1.0 / norm2.sqrt() } else { 0.0 };
        for (a, b) in act.iter_mut().zip(&self.bias) {
            *a = (*a * inv + b).max(0.0);
        }
        for (l, b) in logits.iter_mut().zip(&self.output_bias) {
            *l += b;
        }
        for (j, &a) in act.iter().enumerate() {
            if a > 0.0 {
                let w = &self.output[j * k..(j + 1) * k];
                logits.iter_mut().zip(w).for_each(|(l, w)| *l += a * w);
            }
        }
    }
}
